package io.agentlog.testkit;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How to start a {@link KafkaBroker}.
 *
 * @param dataDir        holds the generated {@code server.properties}, the broker's log file and its log directories;
 *                       created when missing, reused (not formatted again) when it already holds a broker's data
 * @param port           the client listener's port on 127.0.0.1; 0 picks a free one
 * @param controllerPort the KRaft controller listener's port; 0 picks a free one
 * @param heap           the child JVM's maximum heap, as for {@code -Xmx} (e.g. {@code 512m})
 * @param deleteOnClose  delete {@code dataDir} after the broker stopped
 * @param overrides      broker configs that replace or add to the generated ones
 * @param detached       the broker must outlive the launching JVM (the local stack's {@code agentlog up}): no shutdown
 *                       hook, no watch on the parent
 * @param startTimeoutMs how long {@link KafkaBroker#start} waits for the broker to answer
 * @param closeOnJvmExit an attached broker is closed by a shutdown hook of its own (the default); turn it off when you
 *                       close it yourself from a hook that must stop its clients first. Even then, an attached broker
 *                       exits when the launching JVM is gone.
 * @param jmxPort        {@link #NO_JMX} (the default): no JMX connector; 0: a JMX connector on a free port of 127.0.0.1
 *                       ({@link KafkaBroker#jmxPort()} says which); else that port. Loopback only, no authentication:
 *                       for benchmarks that read the broker's request metrics ({@link Jmx})
 * @param formatArgs     more arguments of {@code kafka-storage format}, e.g. {@code --add-scram} for the SCRAM
 *                       users a SASL listener needs before the broker runs
 * @param clientConfigs  Kafka client configs for reaching the client listener (its security protocol and
 *                       credentials), used by the readiness probe
 */
public record BrokerOptions(
        Path dataDir,
        int port,
        int controllerPort,
        String heap,
        boolean deleteOnClose,
        Map<String, String> overrides,
        boolean detached,
        long startTimeoutMs,
        boolean closeOnJvmExit,
        int jmxPort,
        java.util.List<String> formatArgs,
        Map<String, String> clientConfigs) {

    public static final String DEFAULT_HEAP = "512m";
    public static final int NO_JMX = -1;
    public static final long DEFAULT_START_TIMEOUT_MS = 60_000;

    public BrokerOptions {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(heap, "heap");
        checkPort("port", port);
        checkPort("controllerPort", controllerPort);
        if (port != 0 && port == controllerPort) {
            throw new IllegalArgumentException("port and controllerPort must differ, but both were " + port);
        }
        if (!heap.matches("[0-9]+[kKmMgG]?")) {
            throw new IllegalArgumentException("heap must look like 512m or 1g, but was '" + heap + "'");
        }
        if (startTimeoutMs <= 0) {
            throw new IllegalArgumentException("startTimeoutMs must be greater than 0, but was " + startTimeoutMs);
        }
        overrides = Map.copyOf(overrides == null ? Map.of() : overrides);
        if (jmxPort != NO_JMX) {
            checkPort("jmxPort", jmxPort);
        }
        formatArgs = java.util.List.copyOf(formatArgs == null ? java.util.List.of() : formatArgs);
        clientConfigs = Map.copyOf(clientConfigs == null ? Map.of() : clientConfigs);
    }

    /** Free ports, 512 MB of heap, data kept after close, attached to this JVM. */
    public static BrokerOptions defaults(Path dataDir) {
        return builder(dataDir).build();
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    public Builder toBuilder() {
        Builder b = new Builder(dataDir)
                .port(port)
                .controllerPort(controllerPort)
                .heap(heap)
                .deleteOnClose(deleteOnClose)
                .detached(detached)
                .startTimeoutMs(startTimeoutMs)
                .closeOnJvmExit(closeOnJvmExit)
                .jmxPort(jmxPort)
                .formatArgs(formatArgs)
                .clientConfigs(clientConfigs);
        overrides.forEach(b::override);
        return b;
    }

    private static void checkPort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + " must be between 0 and 65535, but was " + port);
        }
    }

    public static final class Builder {
        private final Path dataDir;
        private int port;
        private int controllerPort;
        private String heap = DEFAULT_HEAP;
        private boolean deleteOnClose;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private boolean detached;
        private long startTimeoutMs = DEFAULT_START_TIMEOUT_MS;
        private boolean closeOnJvmExit = true;
        private int jmxPort = NO_JMX;
        private java.util.List<String> formatArgs = java.util.List.of();
        private Map<String, String> clientConfigs = Map.of();

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /** More arguments of {@code kafka-storage format} (e.g. {@code --add-scram ...}). */
        public Builder formatArgs(java.util.List<String> formatArgs) {
            this.formatArgs = formatArgs;
            return this;
        }

        /** Client configs for reaching the client listener (security protocol, credentials). */
        public Builder clientConfigs(Map<String, String> clientConfigs) {
            this.clientConfigs = clientConfigs;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder controllerPort(int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        public Builder deleteOnClose(boolean deleteOnClose) {
            this.deleteOnClose = deleteOnClose;
            return this;
        }

        /** A broker config that replaces or adds to the generated ones. */
        public Builder override(String key, String value) {
            overrides.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        public Builder overrides(Map<String, String> configs) {
            configs.forEach(this::override);
            return this;
        }

        public Builder detached(boolean detached) {
            this.detached = detached;
            return this;
        }

        public Builder startTimeoutMs(long startTimeoutMs) {
            this.startTimeoutMs = startTimeoutMs;
            return this;
        }

        public Builder closeOnJvmExit(boolean closeOnJvmExit) {
            this.closeOnJvmExit = closeOnJvmExit;
            return this;
        }

        /** {@link #NO_JMX}, 0 for a free port, or the port of a loopback-only JMX connector. */
        public Builder jmxPort(int jmxPort) {
            this.jmxPort = jmxPort;
            return this;
        }

        public BrokerOptions build() {
            return new BrokerOptions(
                    dataDir,
                    port,
                    controllerPort,
                    heap,
                    deleteOnClose,
                    overrides,
                    detached,
                    startTimeoutMs,
                    closeOnJvmExit,
                    jmxPort,
                    formatArgs,
                    clientConfigs);
        }
    }
}
