package io.agentlog.local;

import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.testkit.ChildJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts the engine and the workers as child JVMs running the agentlog CLI's {@code engine} and {@code worker}
 * commands, with this JVM's java binary and class path, configured through {@code AGENTLOG_*} environment
 * variables, their output appended to a log file.
 */
public final class Components {

    /** The CLI's main class; the children run its {@code engine} / {@code worker} commands. */
    public static final String CLI_MAIN = "io.agentlog.cli.AgentlogCli";

    public static final String BOOTSTRAP_ENV = "AGENTLOG_BOOTSTRAP_SERVERS";
    public static final String STATE_DIR_ENV = "AGENTLOG_STATE_DIR";
    public static final String POOLS_ENV = "AGENTLOG_POOLS";

    /** The engine child's maximum heap. */
    public static final String ENGINE_HEAP = "512m";

    private Components() {}

    public static Process startEngine(String bootstrapServers, Path stateDir, Path logFile, boolean detached) {
        return startEngine(bootstrapServers, stateDir, logFile, detached, Map.of());
    }

    /** Starts an engine with further {@code AGENTLOG_*} settings, e.g. an application id or standby replicas. */
    public static Process startEngine(
            String bootstrapServers, Path stateDir, Path logFile, boolean detached, Map<String, String> extraEnv) {
        return startEngine(bootstrapServers, stateDir, logFile, detached, extraEnv, List.of());
    }

    /**
     * Starts an engine with further {@code AGENTLOG_*} settings and further JVM options after the usual ones (a later
     * {@code -Xmx} wins; benchmarks add a JMX connector).
     */
    public static Process startEngine(
            String bootstrapServers,
            Path stateDir,
            Path logFile,
            boolean detached,
            Map<String, String> extraEnv,
            List<String> extraJvmArgs) {
        Map<String, String> env = new HashMap<>(extraEnv);
        // a throwaway stack's engines (tests, bench, chaos, demo) take free ports: several run at once, beside `up`
        env.putIfAbsent(HttpApiConfig.PORT_ENV, "0");
        env.put(BOOTSTRAP_ENV, bootstrapServers);
        env.put(STATE_DIR_ENV, stateDir.toAbsolutePath().toString());
        List<String> jvmArgs = new ArrayList<>(jvmArgs(ENGINE_HEAP));
        jvmArgs.addAll(extraJvmArgs);
        return ChildJvm.builder(CLI_MAIN)
                .args("engine")
                .jvmArgs(jvmArgs)
                .env(env)
                .logFile(logFile)
                .detached(detached)
                .build()
                .start();
    }

    public static Process startWorker(String bootstrapServers, List<String> pools, Path logFile, boolean detached) {
        return startWorker(bootstrapServers, pools, logFile, detached, Map.of());
    }

    /** Starts a worker with further {@code AGENTLOG_*} settings, e.g. its metrics port. */
    public static Process startWorker(
            String bootstrapServers, List<String> pools, Path logFile, boolean detached, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put(BOOTSTRAP_ENV, bootstrapServers);
        env.put(POOLS_ENV, String.join(",", pools));
        return ChildJvm.builder(CLI_MAIN)
                .args("worker")
                .jvmArgs(jvmArgs("384m"))
                .env(env)
                .logFile(logFile)
                .detached(detached)
                .build()
                .start();
    }

    /** The JVM options of a child process with this heap: headless, native access and Unsafe allowed quietly. */
    public static List<String> jvmArgs(String heap) {
        List<String> args = new ArrayList<>(List.of("-Xmx" + heap, "-Djava.awt.headless=true"));
        if (Runtime.version().feature() >= 22) {
            // RocksDB and zstd load native code, which JDK 22+ warns about unless it is allowed
            args.add("--enable-native-access=ALL-UNNAMED");
        }
        if (Runtime.version().feature() >= 24) {
            // Kafka clients unmap buffers through sun.misc.Unsafe, which JDK 24+ warns about on every start
            args.add("--sun-misc-unsafe-memory-access=allow");
        }
        return args;
    }
}
