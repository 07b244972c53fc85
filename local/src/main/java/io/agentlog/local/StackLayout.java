package io.agentlog.local;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the kept-running local stack ({@code agentlog up}) keeps its files: {@code $AGENTLOG_HOME}, by default
 * {@code ~/.agentlog}.
 *
 * <pre>
 * stack.properties      bootstrap servers and pools of the running stack
 * broker.pid engine.pid worker.pid
 * broker/               the broker's data directory (its log: broker/broker.log)
 * logs/engine.log logs/worker.log
 * state/engine/         the engine's RocksDB state
 * </pre>
 */
public record StackLayout(Path home) {

    public static final String HOME_ENV = "AGENTLOG_HOME";

    public static StackLayout fromEnv(Map<String, String> env) {
        String home = env.get(HOME_ENV);
        if (home == null || home.isBlank()) {
            return new StackLayout(Path.of(System.getProperty("user.home"), ".agentlog"));
        }
        return new StackLayout(Path.of(home));
    }

    public Path stackProperties() {
        return home.resolve("stack.properties");
    }

    public PidFile pidFile(Component component) {
        return new PidFile(home.resolve(component.id() + ".pid"));
    }

    public Path brokerDir() {
        return home.resolve("broker");
    }

    public Path logsDir() {
        return home.resolve("logs");
    }

    public Path logFile(Component component) {
        return component == Component.BROKER
                ? brokerDir().resolve(io.agentlog.testkit.KafkaBroker.LOG_FILE)
                : logsDir().resolve(component.id() + ".log");
    }

    public Path engineStateDir() {
        return home.resolve("state").resolve("engine");
    }
}
