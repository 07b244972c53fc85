package io.agentlog.worker.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentlog.worker.WorkerMetricsConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The worker's {@code GET /metrics}: its registry in the Prometheus text format, on the JDK's own HTTP server (the
 * worker has no web framework). Every other path answers 404, every other method 405.
 */
public final class MetricsServer implements AutoCloseable {

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /** Listens where {@code config} says; throws {@link IllegalStateException} with the reason when it cannot. */
    public static MetricsServer start(WorkerMetricsConfig config, PrometheusMeterRegistry registry) {
        int port = config.port().orElseThrow(() -> new IllegalArgumentException("the worker's metrics are off"));
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(config.host(), port), 0);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(
                    "the worker's metrics cannot listen on " + config.host() + ":" + port + " ("
                            + WorkerMetricsConfig.PORT_ENV + ", " + WorkerMetricsConfig.HOST_ENV + "): " + e,
                    e);
        }
        server.createContext("/", exchange -> serve(exchange, registry));
        server.start();
        return new MetricsServer(server);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void serve(HttpExchange exchange, PrometheusMeterRegistry registry) throws IOException {
        try (exchange) {
            if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
