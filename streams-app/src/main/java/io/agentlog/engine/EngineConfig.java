package io.agentlog.engine;

import io.agentlog.schemas.Env;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Configuration of one engine process, read from {@code AGENTLOG_*} environment variables (or
 * built directly) and validated at start.
 *
 * @param bootstrapServers Kafka bootstrap servers ({@code AGENTLOG_BOOTSTRAP_SERVERS}, default localhost:9092)
 * @param applicationId Streams application id, also the group id ({@code AGENTLOG_APPLICATION_ID}, default agentlog-engine)
 * @param stateDir where RocksDB stores live ({@code AGENTLOG_STATE_DIR}, default java.io.tmpdir/agentlog-engine)
 * @param commitInterval Streams commit interval = transaction length ({@code AGENTLOG_COMMIT_INTERVAL_MS})
 * @param pollTime Streams poll time ({@code AGENTLOG_POLL_MS})
 * @param streamThreads stream threads ({@code AGENTLOG_STREAM_THREADS})
 * @param standbyReplicas standby replicas per task, a streams-group config ({@code AGENTLOG_STANDBY_REPLICAS})
 * @param modelTimeout how long a session waits for a model turn ({@code AGENTLOG_MODEL_TIMEOUT_MS})
 * @param maxContentChars tool output or model text kept in history and events; the full text goes to the workspace
 *     ({@code AGENTLOG_MAX_CONTENT_CHARS})
 * @param maxFileBytes largest file in a session workspace ({@code AGENTLOG_MAX_FILE_BYTES})
 * @param maxWorkspaceBytes all files of one session workspace ({@code AGENTLOG_MAX_WORKSPACE_BYTES})
 */
public record EngineConfig(
        String bootstrapServers,
        String applicationId,
        Path stateDir,
        Duration commitInterval,
        Duration pollTime,
        int streamThreads,
        int standbyReplicas,
        Duration modelTimeout,
        int maxContentChars,
        long maxFileBytes,
        long maxWorkspaceBytes) {

    /**
     * Commit (= EOS transaction) after every poll loop, and poll every 5 ms: measured on a 2-core
     * machine as the lowest per-hop latency (p50 ~8-9 ms vs ~107 ms with the defaults), at an
     * idle cost of ~0.1 core. See docs/configuration.md.
     */
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ZERO;

    public static final Duration DEFAULT_POLL_TIME = Duration.ofMillis(5);
    public static final Duration DEFAULT_MODEL_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_CONTENT_CHARS = 32 * 1024;
    public static final long DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
    public static final long DEFAULT_MAX_WORKSPACE_BYTES = 16 * 1024 * 1024;

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
                modelTimeout.toMillis() >= 1000,
                "model timeout must be >= 1000 ms, but was " + modelTimeout.toMillis());
        require(maxContentChars >= 256, "max content chars must be >= 256, but was " + maxContentChars);
        require(maxFileBytes >= 1, "max file bytes must be >= 1, but was " + maxFileBytes);
        require(
                maxWorkspaceBytes >= maxFileBytes,
                "max workspace bytes must be >= max file bytes (" + maxFileBytes + "), but was " + maxWorkspaceBytes);
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
                DEFAULT_MODEL_TIMEOUT,
                DEFAULT_MAX_CONTENT_CHARS,
                DEFAULT_MAX_FILE_BYTES,
                DEFAULT_MAX_WORKSPACE_BYTES);
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
                Duration.ofMillis(in.number("AGENTLOG_MODEL_TIMEOUT_MS", DEFAULT_MODEL_TIMEOUT.toMillis())),
                in.integer("AGENTLOG_MAX_CONTENT_CHARS", DEFAULT_MAX_CONTENT_CHARS),
                in.number("AGENTLOG_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES),
                in.number("AGENTLOG_MAX_WORKSPACE_BYTES", DEFAULT_MAX_WORKSPACE_BYTES));
    }

    public EngineConfig withApplicationId(String id) {
        return new EngineConfig(
                bootstrapServers,
                id,
                stateDir,
                commitInterval,
                pollTime,
                streamThreads,
                standbyReplicas,
                modelTimeout,
                maxContentChars,
                maxFileBytes,
                maxWorkspaceBytes);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("invalid engine config: " + message);
        }
    }
}
