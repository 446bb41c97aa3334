package io.connmon.exporter.web;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.function.BiConsumer;

/**
 * What {@code --web.config.file} makes of connmon's HTTP server: plain HTTP or TLS (the JDK's HttpsServer),
 * basic authentication and extra headers on every path, all re-read from the file while the server runs.
 *
 * <pre>{@code
 * WebSecurity web = WebSecurity.load(Path.of("/etc/connmon/web.yml")); // WebSecurity.none(): plain HTTP
 * HttpServer server = web.createServer(new InetSocketAddress("127.0.0.1", 9469), 64);
 * web.guard(server.createContext("/", router));  // headers and basic auth before the handler
 * }</pre>
 */
public final class WebSecurity {

    private static final System.Logger LOG = System.getLogger("connmon.web");

    private final ReloadingWebConfig config;
    private final ReloadingTls tls;
    private final GuardFilter guard; // null without a file

    private WebSecurity(ReloadingWebConfig config, ReloadingTls tls) {
        this.config = config;
        this.tls = tls;
        this.guard = config == null ? null : new GuardFilter(config::current, new BasicAuth());
    }

    /** No web configuration file: plain HTTP, no authentication (connmon's default on 127.0.0.1). */
    public static WebSecurity none() {
        return new WebSecurity(null, null);
    }

    /**
     * Reads and checks the file and what it names (certificates, keys, CAs, hashes).
     *
     * @throws WebConfigException one line naming the file and the problem; the daemon should not start
     */
    public static WebSecurity load(Path file) throws WebConfigException {
        return load(file, LOG::log);
    }

    /** @param log where a reload (and a bad file found at reload) is reported, one line each */
    public static WebSecurity load(Path file, BiConsumer<System.Logger.Level, String> log) throws WebConfigException {
        ReloadingWebConfig c = new ReloadingWebConfig(file, log);
        return new WebSecurity(c, c.current().tls() == null ? null : new ReloadingTls(c));
    }

    /** Whether a web configuration file is in force. */
    public boolean configured() {
        return config != null;
    }

    /** Whether the server speaks TLS. */
    public boolean tls() {
        return tls != null;
    }

    /** {@code https} or {@code http}. */
    public String scheme() {
        return tls() ? "https" : "http";
    }

    /** One line for the start-up log; never a secret. */
    public String describe() {
        if (config == null) {
            return "no web config file: plain HTTP, no authentication";
        }
        WebConfig c = config.current();
        String t = c.tls() == null ? "plain HTTP"
                : "TLS " + c.tls().protocols().get(0) + " to " + c.tls().protocols().get(c.tls().protocols().size() - 1)
                        + ", client_auth_type " + c.tls().clientAuth().yamlName();
        String a = c.users().isEmpty() ? "no basic auth" : "basic auth for " + c.users().size() + " user"
                + (c.users().size() == 1 ? "" : "s");
        return "web config " + config.file() + ": " + t + ", " + a;
    }

    /** A server bound to {@code address}, not started: an HttpsServer when the file asks for TLS. */
    public HttpServer createServer(InetSocketAddress address, int backlog) throws IOException {
        if (tls == null) {
            return HttpServer.create(address, backlog);
        }
        HttpsServer https = HttpsServer.create(address, backlog);
        https.setHttpsConfigurator(tls.configurator());
        return https;
    }

    /**
     * Puts the file's headers and basic authentication before every handler of {@code context} (nothing without a
     * file); connmon's server has one context, "/", whose router answers every path.
     */
    public HttpContext guard(HttpContext context) {
        if (guard != null) {
            context.getFilters().add(0, guard);
        }
        return context;
    }
}
