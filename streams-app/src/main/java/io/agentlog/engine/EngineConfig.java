package io.agentlog.engine;

import io.agentlog.schemas.Env;
import io.agentlog.schemas.KafkaClientProperties;
import io.agentlog.schemas.Topics;
import io.agentlog.telemetry.TracingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * Configuration of one engine process, read from {@code AGENTLOG_*} environment variables (or
 * built directly) and validated at start: limits that could not fit the topics they end up on are
 * refused here rather than stalling a partition later.
 *
 * @param bootstrapServers Kafka bootstrap servers ({@code AGENTLOG_BOOTSTRAP_SERVERS}, default localhost:9092)
 * @param applicationId Streams application id, also the group id ({@code AGENTLOG_APPLICATION_ID}, default agentlog-engine)
 * @param stateDir where RocksDB stores live ({@code AGENTLOG_STATE_DIR}, default java.io.tmpdir/agentlog-engine)
 * @param commitInterval Streams commit interval = transaction length ({@code AGENTLOG_COMMIT_INTERVAL_MS})
 * @param pollTime Streams poll time ({@code AGENTLOG_POLL_MS})
 * @param streamThreads stream threads ({@code AGENTLOG_STREAM_THREADS})
 * @param standbyReplicas standby replicas per task, a streams-group config ({@code AGENTLOG_STANDBY_REPLICAS})
 * @param replicationFactor replication factor of the engine's changelog topics, -1 for the broker's default
 *     ({@code AGENTLOG_REPLICATION_FACTOR})
 * @param transactionTimeout how long the broker keeps a dead engine's open transaction before aborting it
 *     ({@code AGENTLOG_TRANSACTION_TIMEOUT_MS})
 * @param modelTimeout how long a session waits for a model turn without news from a worker
 *     ({@code AGENTLOG_MODEL_TIMEOUT_MS})
 * @param maxWorkDelay the longest a work item may take in all, including the delays its worker reports (rate limits,
 *     retries, redeliveries) ({@code AGENTLOG_MAX_WORK_DELAY_MS})
 * @param retention how long an ended session's state, history and workspace are kept ({@code AGENTLOG_RETENTION_MS})
 * @param maxContentChars tool output or model text kept in history and events; the full text goes to the workspace
 *     ({@code AGENTLOG_MAX_CONTENT_CHARS})
 * @param maxFileBytes largest file in a session workspace ({@code AGENTLOG_MAX_FILE_BYTES})
 * @param maxWorkspaceBytes all files of one session workspace ({@code AGENTLOG_MAX_WORKSPACE_BYTES})
 * @param maxWorkspaceFiles files in one session workspace ({@code AGENTLOG_MAX_WORKSPACE_FILES})
 * @param inlineFileBytes largest file content a {@code FileWritten} event carries inline; larger ones go to
 *     {@code agentlog.blobs} ({@code AGENTLOG_INLINE_FILE_BYTES})
 * @param kafkaProperties Kafka client properties for every client of the engine, e.g. SASL and TLS settings
 *     ({@code AGENTLOG_KAFKA_CONFIG} names a properties file; see {@link KafkaClientProperties})
 * @param tracing whether and where the engine exports its OpenTelemetry traces (the standard {@code OTEL_*}
 *     variables, see {@link TracingConfig}; off unless an OTLP endpoint is set)
 */
public record EngineConfig(
        String bootstrapServers,
        String applicationId,
        Path stateDir,
        Duration commitInterval,
        Duration pollTime,
        int streamThreads,
        int standbyReplicas,
        int replicationFactor,
        Duration transactionTimeout,
        Duration modelTimeout,
        Duration maxWorkDelay,
        Duration retention,
        int maxContentChars,
        long maxFileBytes,
        long maxWorkspaceBytes,
        int maxWorkspaceFiles,
        int inlineFileBytes,
        Map<String, String> kafkaProperties,
        TracingConfig tracing) {

    /** The {@code service.name} of the engine's spans unless {@code OTEL_SERVICE_NAME} says otherwise. */
    public static final String SERVICE_NAME = "agentlog-engine";

    /**
     * The longest a busy engine gathers steps into one exactly-once transaction. A nearly idle engine commits every
     * step at once whatever this is (see {@code CommitPacer}): the broker's cost per transaction is shared by more
     * steps only under load, where a few tens of ms per hop are cheap next to the queueing they save. 0 commits
     * after every poll loop. See docs/configuration.md.
     */
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(50);

    public static final Duration DEFAULT_POLL_TIME = Duration.ofMillis(100);

    /**
     * A minute more than a worker's per-attempt model timeout (5 min): the engine must not give up on a call its
     * worker is still running. Workers report retries and redeliveries, which move the deadline.
     */
    public static final Duration DEFAULT_MODEL_TIMEOUT = Duration.ofMinutes(6);

    /**
     * Kafka Streams' own default under exactly-once: a killed instance whose tasks move elsewhere blocks their
     * read_committed readers this long. It must stay above the cluster's broker failure detection plus a leader
     * election, or losing a broker fences the engines (see docs/configuration.md).
     */
    public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofSeconds(10);

    public static final Duration DEFAULT_MAX_WORK_DELAY = Duration.ofMinutes(30);
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    public static final int DEFAULT_MAX_CONTENT_CHARS = 32 * 1024;
    public static final long DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
    public static final long DEFAULT_MAX_WORKSPACE_BYTES = 16 * 1024 * 1024;
    public static final int DEFAULT_MAX_WORKSPACE_FILES = 10_000;
    public static final int DEFAULT_INLINE_FILE_BYTES = 64 * 1024;

    /**
     * What a record the engine writes may hold in its payload: the work and journal topics' limit less room for
     * the record's envelope and other fields. A workspace copy, a file or a final answer larger than this could
     * not be written, so no limit may allow one.
     */
    public static final long MAX_PAYLOAD_BYTES = Topics.MAX_WORK_RECORD_BYTES - 1024 * 1024;

    /** UTF-8 takes at most 4 bytes per character (3 per UTF-16 unit, 4 per surrogate pair). */
    private static final int MAX_UTF8_BYTES_PER_CHAR = 4;

    /** The final answer may be this many times the content cap. */
    public static final int OUTPUT_FACTOR = 8;

    public EngineConfig {
        require(bootstrapServers != null && !bootstrapServers.isBlank(), "bootstrap servers must not be empty");
        require(
                applicationId != null && applicationId.matches("[A-Za-z0-9._-]+"),
                "application id must match [A-Za-z0-9._-]+, but was '" + applicationId + "'");
        require(stateDir != null, "state dir must be set");
        require(
                !commitInterval.isNegative(),
                "commit interval must be >= 0, but was " + commitInterval.toMillis() + " ms");
        require(
                !pollTime.isNegative() && !pollTime.isZero(),
                "poll time must be > 0, but was " + pollTime.toMillis() + " ms");
        require(streamThreads >= 1, "stream threads must be >= 1, but was " + streamThreads);
        require(standbyReplicas >= 0, "standby replicas must be >= 0, but was " + standbyReplicas);
        require(
                replicationFactor == -1 || replicationFactor >= 1,
                "replication factor must be -1 (the broker's default) or >= 1, but was " + replicationFactor);
        require(
                transactionTimeout.toMillis() >= 1000 && transactionTimeout.compareTo(commitInterval) > 0,
                "transaction timeout must be >= 1000 ms and longer than the commit interval, but was "
                        + transactionTimeout.toMillis() + " ms");
        require(
                modelTimeout.toMillis() >= 1000,
                "model timeout must be >= 1000 ms, but was " + modelTimeout.toMillis());
        require(
                maxWorkDelay.compareTo(modelTimeout) >= 0,
                "max work delay must be >= the model timeout (" + modelTimeout.toMillis() + " ms), but was "
                        + maxWorkDelay.toMillis() + " ms");
        require(retention.toMillis() >= 1000, "retention must be >= 1000 ms, but was " + retention.toMillis());
        require(maxContentChars >= 256, "max content chars must be >= 256, but was " + maxContentChars);
        require(
                (long) maxContentChars * OUTPUT_FACTOR * MAX_UTF8_BYTES_PER_CHAR <= MAX_PAYLOAD_BYTES,
                "max content chars must be <= " + MAX_PAYLOAD_BYTES / OUTPUT_FACTOR / MAX_UTF8_BYTES_PER_CHAR
                        + " (a final answer of " + OUTPUT_FACTOR + " times it must fit one record), but was "
                        + maxContentChars);
        require(maxFileBytes >= 1, "max file bytes must be >= 1, but was " + maxFileBytes);
        require(
                maxWorkspaceBytes >= maxFileBytes,
                "max workspace bytes must be >= max file bytes (" + maxFileBytes + "), but was " + maxWorkspaceBytes);
        require(
                maxWorkspaceBytes <= MAX_PAYLOAD_BYTES,
                "max workspace bytes must be <= " + MAX_PAYLOAD_BYTES + " (a copy of the workspace travels in one"
                        + " work record of at most " + Topics.MAX_WORK_RECORD_BYTES + " bytes), but was "
                        + maxWorkspaceBytes);
        require(maxWorkspaceFiles >= 1, "max workspace files must be >= 1, but was " + maxWorkspaceFiles);
        require(
                inlineFileBytes >= 0 && inlineFileBytes <= maxFileBytes,
                "inline file bytes must be between 0 and max file bytes (" + maxFileBytes + "), but was "
                        + inlineFileBytes);
        kafkaProperties = Map.copyOf(kafkaProperties);
        require(tracing != null, "tracing must be set (TracingConfig.off for none)");
    }

    public static EngineConfig defaults(String bootstrapServers, Path stateDir) {
        return new EngineConfig(
                bootstrapServers,
                "agentlog-engine",
                stateDir,
                DEFAULT_COMMIT_INTERVAL,
                DEFAULT_POLL_TIME,
                1,
                0,
                -1,
                DEFAULT_TRANSACTION_TIMEOUT,
                DEFAULT_MODEL_TIMEOUT,
                DEFAULT_MAX_WORK_DELAY,
                DEFAULT_RETENTION,
                DEFAULT_MAX_CONTENT_CHARS,
                DEFAULT_MAX_FILE_BYTES,
                DEFAULT_MAX_WORKSPACE_BYTES,
                DEFAULT_MAX_WORKSPACE_FILES,
                DEFAULT_INLINE_FILE_BYTES,
                KafkaClientProperties.none(),
                TracingConfig.off(SERVICE_NAME));
    }

    /** The configuration from {@code AGENTLOG_*} variables; a malformed one fails with a message that quotes it. */
    public static EngineConfig fromEnv(Map<String, String> env) {
        Env in = new Env(env);
        return new EngineConfig(
                in.text("AGENTLOG_BOOTSTRAP_SERVERS", "localhost:9092"),
                in.text("AGENTLOG_APPLICATION_ID", "agentlog-engine"),
                Path.of(in.text(
                        "AGENTLOG_STATE_DIR",
                        Path.of(System.getProperty("java.io.tmpdir"), "agentlog-engine")
                                .toString())),
                Duration.ofMillis(in.number("AGENTLOG_COMMIT_INTERVAL_MS", DEFAULT_COMMIT_INTERVAL.toMillis())),
                Duration.ofMillis(in.number("AGENTLOG_POLL_MS", DEFAULT_POLL_TIME.toMillis())),
                in.integer("AGENTLOG_STREAM_THREADS", 1),
                in.integer("AGENTLOG_STANDBY_REPLICAS", 0),
                in.integer("AGENTLOG_REPLICATION_FACTOR", -1),
                Duration.ofMillis(in.number("AGENTLOG_TRANSACTION_TIMEOUT_MS", DEFAULT_TRANSACTION_TIMEOUT.toMillis())),
                Duration.ofMillis(in.number("AGENTLOG_MODEL_TIMEOUT_MS", DEFAULT_MODEL_TIMEOUT.toMillis())),
                Duration.ofMillis(in.number("AGENTLOG_MAX_WORK_DELAY_MS", DEFAULT_MAX_WORK_DELAY.toMillis())),
                Duration.ofMillis(in.number("AGENTLOG_RETENTION_MS", DEFAULT_RETENTION.toMillis())),
                in.integer("AGENTLOG_MAX_CONTENT_CHARS", DEFAULT_MAX_CONTENT_CHARS),
                in.number("AGENTLOG_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES),
                in.number("AGENTLOG_MAX_WORKSPACE_BYTES", DEFAULT_MAX_WORKSPACE_BYTES),
                in.integer("AGENTLOG_MAX_WORKSPACE_FILES", DEFAULT_MAX_WORKSPACE_FILES),
                in.integer("AGENTLOG_INLINE_FILE_BYTES", DEFAULT_INLINE_FILE_BYTES),
                KafkaClientProperties.fromEnv(env),
                TracingConfig.fromEnv(env, SERVICE_NAME));
    }

    /** The settings of a plain Kafka client of the engine (an admin): the bootstrap servers and the client properties. */
    public Properties clientProperties() {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        props.put("bootstrap.servers", bootstrapServers);
        return props;
    }

    /** Names the Kafka client properties but never shows their values: they hold credentials. */
    @Override
    public String toString() {
        return "EngineConfig[bootstrapServers=" + bootstrapServers + ", applicationId=" + applicationId + ", stateDir="
                + stateDir + ", commitInterval=" + commitInterval + ", pollTime=" + pollTime + ", streamThreads="
                + streamThreads + ", standbyReplicas=" + standbyReplicas + ", replicationFactor=" + replicationFactor
                + ", transactionTimeout=" + transactionTimeout + ", modelTimeout=" + modelTimeout + ", maxWorkDelay="
                + maxWorkDelay + ", retention=" + retention + ", maxContentChars=" + maxContentChars
                + ", maxFileBytes=" + maxFileBytes + ", maxWorkspaceBytes=" + maxWorkspaceBytes
                + ", maxWorkspaceFiles=" + maxWorkspaceFiles + ", inlineFileBytes=" + inlineFileBytes
                + ", kafkaProperties=" + kafkaProperties.keySet() + ", tracing=" + tracing + "]";
    }

    public EngineConfig withApplicationId(String id) {
        return new Builder(this).applicationId(id).build();
    }

    /** A copy to change one or a few settings (tests, embedding). */
    public Builder toBuilder() {
        return new Builder(this);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("invalid engine config: " + message);
        }
    }

    /** Builds a config from another one; {@link #build()} validates. */
    public static final class Builder {
        private String bootstrapServers;
        private String applicationId;
        private Path stateDir;
        private Duration commitInterval;
        private Duration pollTime;
        private int streamThreads;
        private int standbyReplicas;
        private int replicationFactor;
        private Duration transactionTimeout;
        private Duration modelTimeout;
        private Duration maxWorkDelay;
        private Duration retention;
        private int maxContentChars;
        private long maxFileBytes;
        private long maxWorkspaceBytes;
        private int maxWorkspaceFiles;
        private int inlineFileBytes;
        private Map<String, String> kafkaProperties;
        private TracingConfig tracing;

        private Builder(EngineConfig from) {
            bootstrapServers = from.bootstrapServers;
            applicationId = from.applicationId;
            stateDir = from.stateDir;
            commitInterval = from.commitInterval;
            pollTime = from.pollTime;
            streamThreads = from.streamThreads;
            standbyReplicas = from.standbyReplicas;
            replicationFactor = from.replicationFactor;
            transactionTimeout = from.transactionTimeout;
            modelTimeout = from.modelTimeout;
            maxWorkDelay = from.maxWorkDelay;
            retention = from.retention;
            maxContentChars = from.maxContentChars;
            maxFileBytes = from.maxFileBytes;
            maxWorkspaceBytes = from.maxWorkspaceBytes;
            maxWorkspaceFiles = from.maxWorkspaceFiles;
            inlineFileBytes = from.inlineFileBytes;
            kafkaProperties = from.kafkaProperties;
            tracing = from.tracing;
        }

        public Builder applicationId(String value) {
            applicationId = value;
            return this;
        }

        public Builder commitInterval(Duration value) {
            commitInterval = value;
            return this;
        }

        public Builder standbyReplicas(int value) {
            standbyReplicas = value;
            return this;
        }

        public Builder replicationFactor(int value) {
            replicationFactor = value;
            return this;
        }

        public Builder modelTimeout(Duration value) {
            modelTimeout = value;
            return this;
        }

        public Builder maxWorkDelay(Duration value) {
            maxWorkDelay = value;
            return this;
        }

        public Builder retention(Duration value) {
            retention = value;
            return this;
        }

        public Builder maxContentChars(int value) {
            maxContentChars = value;
            return this;
        }

        public Builder maxFileBytes(long value) {
            maxFileBytes = value;
            return this;
        }

        public Builder maxWorkspaceBytes(long value) {
            maxWorkspaceBytes = value;
            return this;
        }

        public Builder maxWorkspaceFiles(int value) {
            maxWorkspaceFiles = value;
            return this;
        }

        public Builder inlineFileBytes(int value) {
            inlineFileBytes = value;
            return this;
        }

        public Builder kafkaProperties(Map<String, String> value) {
            kafkaProperties = value;
            return this;
        }

        /** Where the engine exports its traces; {@link TracingConfig#off} for nowhere. */
        public Builder tracing(TracingConfig value) {
            tracing = value;
            return this;
        }

        public EngineConfig build() {
            return new EngineConfig(
                    bootstrapServers,
                    applicationId,
                    stateDir,
                    commitInterval,
                    pollTime,
                    streamThreads,
                    standbyReplicas,
                    replicationFactor,
                    transactionTimeout,
                    modelTimeout,
                    maxWorkDelay,
                    retention,
                    maxContentChars,
                    maxFileBytes,
                    maxWorkspaceBytes,
                    maxWorkspaceFiles,
                    inlineFileBytes,
                    kafkaProperties,
                    tracing);
        }
    }
}
