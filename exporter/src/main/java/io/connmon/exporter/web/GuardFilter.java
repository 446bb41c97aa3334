package io.connmon.exporter.web;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Runs before every handler: adds {@code http_server_config.headers} to the response, then lets the request
 * through only with the right basic-auth credentials when {@code basic_auth_users} is set; otherwise answers
 * 401 with {@code WWW-Authenticate: Basic}, as exporter-toolkit does (on every path, {@code /-/healthy} included).
 */
final class GuardFilter extends Filter {

    private static final byte[] UNAUTHORIZED = "Unauthorized\n".getBytes(StandardCharsets.UTF_8);

    private final Supplier<WebConfig> config;
    private final BasicAuth auth;

    GuardFilter(Supplier<WebConfig> config, BasicAuth auth) {
        this.config = config;
        this.auth = auth;
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        WebConfig c = config.get();
        c.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        if (c.users().isEmpty()
                || auth.allows(c.users(), exchange.getRequestHeaders().getFirst("Authorization"))) {
            chain.doFilter(exchange);
            return;
        }
        exchange.getResponseHeaders().set("WWW-Authenticate", "Basic");
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(401, head ? -1 : UNAUTHORIZED.length);
        if (!head) {
            exchange.getResponseBody().write(UNAUTHORIZED);
        }
        // Closed only once written: a failed write goes back to the JDK, which closes the connection and forgets
        // it (closing the exchange after a failed fixed-length write leaks the connection; see HttpEndpoints).
        exchange.close();
    }

    @Override
    public String description() {
        return "web configuration: headers and basic authentication";
    }
}
