package io.connmon.exporter.web;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;

/**
 * An HttpServer (or HttpsServer) that puts the guard first on every context it creates, so that no endpoint, present
 * or future, can be left unguarded by forgetting a line.
 */
final class GuardedServers {

    private GuardedServers() {
    }

    static HttpContext guard(HttpContext c, Filter guard) {
        c.getFilters().add(0, guard);
        return c;
    }

    static final class Plain extends HttpServer {
        private final HttpServer d;
        private final Filter guard;

        Plain(HttpServer d, Filter guard) {
            this.d = d;
            this.guard = guard;
        }

        @Override
        public void bind(InetSocketAddress addr, int backlog) throws IOException {
            d.bind(addr, backlog);
        }

        @Override
        public void start() {
            d.start();
        }

        @Override
        public void setExecutor(Executor executor) {
            d.setExecutor(executor);
        }

        @Override
        public Executor getExecutor() {
            return d.getExecutor();
        }

        @Override
        public void stop(int delay) {
            d.stop(delay);
        }

        @Override
        public HttpContext createContext(String path, HttpHandler handler) {
            return guard(d.createContext(path, handler), guard);
        }

        @Override
        public HttpContext createContext(String path) {
            return guard(d.createContext(path), guard);
        }

        @Override
        public void removeContext(String path) {
            d.removeContext(path);
        }

        @Override
        public void removeContext(HttpContext context) {
            d.removeContext(context);
        }

        @Override
        public InetSocketAddress getAddress() {
            return d.getAddress();
        }
    }

    static final class Tls extends HttpsServer {
        private final HttpsServer d;
        private final Filter guard;

        Tls(HttpsServer d, Filter guard) {
            this.d = d;
            this.guard = guard;
        }

        @Override
        public void setHttpsConfigurator(HttpsConfigurator config) {
            d.setHttpsConfigurator(config);
        }

        @Override
        public HttpsConfigurator getHttpsConfigurator() {
            return d.getHttpsConfigurator();
        }

        @Override
        public void bind(InetSocketAddress addr, int backlog) throws IOException {
            d.bind(addr, backlog);
        }

        @Override
        public void start() {
            d.start();
        }

        @Override
        public void setExecutor(Executor executor) {
            d.setExecutor(executor);
        }

        @Override
        public Executor getExecutor() {
            return d.getExecutor();
        }

        @Override
        public void stop(int delay) {
            d.stop(delay);
        }

        @Override
        public HttpContext createContext(String path, HttpHandler handler) {
            return guard(d.createContext(path, handler), guard);
        }

        @Override
        public HttpContext createContext(String path) {
            return guard(d.createContext(path), guard);
        }

        @Override
        public void removeContext(String path) {
            d.removeContext(path);
        }

        @Override
        public void removeContext(HttpContext context) {
            d.removeContext(context);
        }

        @Override
        public InetSocketAddress getAddress() {
            return d.getAddress();
        }
    }
}
