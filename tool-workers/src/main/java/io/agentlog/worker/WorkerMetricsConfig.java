package io.agentlog.worker;

import io.agentlog.schemas.Env;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Whether and where a worker serves its Prometheus metrics ({@code GET /metrics}, see docs/observability.md). Off by
 * default: several workers often share a machine (tests, bench, chaos), and each would need a port of its own. The
 * endpoint has no authentication: keep it on the loopback address or a network only the scraper reaches.
 *
 * @param port the port ({@value #PORT_ENV}: a number, 0 for a free one, or {@code off}, the default); empty = off
 * @param host the address to listen on ({@value #HOST_ENV}, default {@value #DEFAULT_HOST})
 */
public record WorkerMetricsConfig(OptionalInt port, String host) {

    public static final String PORT_ENV = "AGENTLOG_WORKER_METRICS_PORT";
    public static final String HOST_ENV = "AGENTLOG_WORKER_METRICS_HOST";
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The port {@code agentlog up} gives its worker's metrics: Prometheus' usual one for exporters. */
    public static final int DEFAULT_PORT = 9464;

    public static final WorkerMetricsConfig OFF = new WorkerMetricsConfig(OptionalInt.empty(), DEFAULT_HOST);

    public WorkerMetricsConfig {
        Objects.requireNonNull(port, "port");
        if (port.isPresent() && (port.getAsInt() < 0 || port.getAsInt() > 65_535)) {
            throw new IllegalArgumentException(
                    PORT_ENV + " must be a port (0-65535) or 'off', but was " + port.getAsInt());
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException(HOST_ENV + " must not be blank, but was '" + host + "'");
        }
    }

    /** On the loopback address at {@code port} (0: a free one). */
    public static WorkerMetricsConfig loopback(int port) {
        return new WorkerMetricsConfig(OptionalInt.of(port), DEFAULT_HOST);
    }

    static WorkerMetricsConfig fromEnv(Env in) {
        return new WorkerMetricsConfig(in.port(PORT_ENV, "off"), in.text(HOST_ENV, DEFAULT_HOST));
    }

    public boolean enabled() {
        return port.isPresent();
    }

    @Override
    public String toString() {
        return port.isPresent() ? host + ":" + port.getAsInt() : "off";
    }
}
