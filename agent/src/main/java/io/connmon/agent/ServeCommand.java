package io.connmon.agent;

import io.connmon.parser.attribution.SocketOwners;
import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.source.SocketSources;
import io.connmon.parser.source.SourceException;

import io.connmon.exporter.BuildInfo;
import io.connmon.exporter.HttpEndpoints;
import io.connmon.exporter.MetricsConfig;
import io.connmon.exporter.SelfMetrics;
import io.connmon.exporter.SnapshotService;
import io.connmon.exporter.SocketMetrics;
import io.connmon.exporter.web.WebConfigException;
import io.connmon.exporter.web.WebSecurity;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code connmon serve}: the daemon. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve /metrics (Prometheus) and /snapshot (JSON) over HTTP.",
            "Every option can also be set by the environment variable named in its description."})
final class ServeCommand implements Runnable {

    private static final Logger LOG = Logger.getLogger("connmon");

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "${env:CONNMON_LISTEN:-127.0.0.1:9469}",
            description = "Address to listen on; the snapshot shows every peer of the host, so keep it local unless "
                    + "you mean it. Env CONNMON_LISTEN. Default: ${DEFAULT-VALUE}.")
    String listen;

    @Option(names = "--web.config.file", paramLabel = "FILE", defaultValue = "${env:CONNMON_WEB_CONFIG_FILE:-}",
            description = "exporter-toolkit web configuration (TLS, basic auth, headers), as node_exporter's; "
                    + "see docs/security.md. Env CONNMON_WEB_CONFIG_FILE. Default: none (plain HTTP).")
    String webConfigFile;

    @Option(names = "--max-age", paramLabel = "DURATION", defaultValue = "${env:CONNMON_MAX_AGE:-1s}",
            converter = DurationConverter.class,
            description = "Serve a snapshot younger than this without reading the kernel again (0: always fresh). "
                    + "Env CONNMON_MAX_AGE. Default: ${DEFAULT-VALUE}.")
    Duration maxAge;

    @Mixin
    SourceOptions source;

    @Option(names = "--inbound-ports-max", paramLabel = "N",
            defaultValue = "${env:CONNMON_INBOUND_PORTS_MAX:-100}",
            description = "Listening ports whose connections are exported one by one; the rest sum into "
                    + "port=\"other\". Env CONNMON_INBOUND_PORTS_MAX. Default: ${DEFAULT-VALUE}.")
    int inboundPortsMax;

    @Option(names = "--inbound-ports", paramLabel = "PORT[,PORT...]",
            defaultValue = "${env:CONNMON_INBOUND_PORTS:-}",
            description = "Export exactly these local ports one by one instead of the busiest listeners. "
                    + "Env CONNMON_INBOUND_PORTS.")
    String inboundPorts;

    @Option(names = "--outbound-ports-max", paramLabel = "N",
            defaultValue = "${env:CONNMON_OUTBOUND_PORTS_MAX:-20}",
            description = "Remote ports of outbound connections exported one by one, busiest first. "
                    + "Env CONNMON_OUTBOUND_PORTS_MAX. Default: ${DEFAULT-VALUE}.")
    int outboundPortsMax;

    @Option(names = "--attribution", paramLabel = "on|off", arity = "1",
            defaultValue = "${env:CONNMON_ATTRIBUTION:-off}", converter = OnOff.class,
            description = "Find the process owning each socket (netstat -p). Other users' processes need "
                    + "CAP_SYS_PTRACE. Env CONNMON_ATTRIBUTION. Default: off.")
    boolean attribution;

    @Option(names = "--attribution-budget", paramLabel = "DURATION",
            defaultValue = "${env:CONNMON_ATTRIBUTION_BUDGET:-250ms}", converter = DurationConverter.class,
            description = "Most time one collection spends reading /proc/PID/fd; the rest waits for the next. "
                    + "Env CONNMON_ATTRIBUTION_BUDGET. Default: ${DEFAULT-VALUE}.")
    Duration attributionBudget;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "${env:CONNMON_LOG_LEVEL:-info}",
            description = "error, warn, info or debug. Env CONNMON_LOG_LEVEL. Default: ${DEFAULT-VALUE}.")
    String logLevel;

    @Override
    public void run() {
        LogSetup.configure(logLevel);
        InetSocketAddress address = parseListen(listen);
        WebSecurity web;
        try {
            web = webConfigFile == null || webConfigFile.isBlank() ? WebSecurity.none()
                    : WebSecurity.load(Path.of(webConfigFile));
        } catch (WebConfigException e) {
            throw new Main.UserError(e.getMessage(), 2);
        }
        if (web.configured()) {
            LOG.info(web.describe());
        }
        MetricsConfig metricsConfig;
        try {
            Set<Integer> allow = new LinkedHashSet<>();
            for (String p : (inboundPorts == null ? "" : inboundPorts).split(",")) {
                if (!p.isBlank()) {
                    allow.add(Integer.parseInt(p.trim()));
                }
            }
            metricsConfig = new MetricsConfig(inboundPortsMax, allow, outboundPortsMax, 1000);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError("--inbound-ports " + inboundPorts + ": expected ports 1 to 65535, "
                    + "comma-separated (" + e.getMessage() + ")", 2);
        }
        SocketSources.Choice choice = source.choose();
        LOG.info(choice.reason());

        SocketOwners owners = attribution ? new SocketOwners(source.procRoot, attributionBudget) : null;
        SnapshotService service = new SnapshotService(choice.source(), new NetStatReader(source.procRoot), maxAge,
                owners);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Two of Micrometer's system meters break Prometheus naming rules (promtool: "_count" on a gauge,
        // an abbreviated unit); process_cpu_usage and the JVM meters say the same without them.
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("system.cpu.count")
                || id.getName().equals("process.cpu.time")));
        registry.getPrometheusRegistry().register(new SocketMetrics(service, metricsConfig, BuildInfo.version()));
        SelfMetrics self = new SelfMetrics();
        self.bindTo(registry);
        service.addListener(self);
        service.addListener(new FailureLog());
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);

        HttpEndpoints http;
        try {
            http = HttpEndpoints.start(address, service, registry.getPrometheusRegistry(), web);
        } catch (BindException e) {
            throw new Main.UserError("cannot listen on " + listen + ": " + e.getMessage(), 1);
        } catch (IOException e) {
            throw new Main.UserError("cannot listen on " + listen + ": " + e, 1);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping");
            http.close();
            choice.source().close();
            stopped.countDown();
        }, "connmon-shutdown"));
        InetSocketAddress bound = http.address();
        LOG.info("connmon " + BuildInfo.version() + " listening on " + web.scheme() + "://"
                + (bound.getAddress().getHostAddress().contains(":") ? "[" + bound.getAddress().getHostAddress() + "]"
                        : bound.getAddress().getHostAddress()) + ":" + bound.getPort()
                + " (max-age " + maxAge.toMillis() + "ms)");
        try {
            var s = service.current();
            LOG.info("first collection: " + s.sockets().size() + " sockets in "
                    + s.collectionTime().toMillis() + " ms");
            if (owners != null) {
                LOG.info("attribution on: " + s.attribution().attributed() + " sockets attributed, "
                        + s.attribution().unattributed() + " not (yet)");
                String problem = owners.privilegeProblem();
                if (problem != null || owners.deniedProcesses() > 0) {
                    LOG.warning("attribution limited: " + (problem != null ? problem
                            : "cannot read the descriptors of " + owners.deniedProcesses() + " processes")
                            + " (needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: see systemd/connmon-attribution.conf)");
                }
            }
        } catch (SourceException e) {
            LOG.warning("first collection failed: " + e.getMessage());
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Logs the first failure and every change of reason, not one line per failed scrape. */
    private static final class FailureLog implements SnapshotService.Listener {
        private String lastReason;
        private int skippedLogged;

        @Override
        public synchronized void collected(io.connmon.exporter.Snapshot s) {
            if (lastReason != null) {
                LOG.info("collections succeed again");
                lastReason = null;
            }
            long skipped = s.table().skippedLines();
            if (skipped > 0 && skippedLogged < 3) {
                skippedLogged++;
                s.table().inputs().stream().filter(r -> r.skipped() > 0).forEach(r -> LOG.warning(
                        r.name() + ": skipped " + r.skipped() + " malformed lines, e.g. " + r.problems()));
            }
        }

        @Override
        public synchronized void failed(String reason, Duration took) {
            if (!reason.equals(lastReason)) {
                LOG.warning("collection failed, serving the last good snapshot: " + reason);
                lastReason = reason;
            }
        }
    }

    static InetSocketAddress parseListen(String listen) {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw new Main.UserError("--listen " + listen + ": expected HOST:PORT, such as 127.0.0.1:9469", 2);
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new Main.UserError("--listen " + listen + ": the port must be 0 to 65535", 2);
        }
        InetSocketAddress a = host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new Main.UserError("--listen " + listen + ": cannot resolve " + host, 2);
        }
        return a;
    }
}
