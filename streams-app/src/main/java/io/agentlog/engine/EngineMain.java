package io.agentlog.engine;

import io.agentlog.engine.http.HttpApiConfig;
import java.time.Duration;

/**
 * Runs one engine until SIGTERM; configuration from {@code AGENTLOG_*} environment variables. Exits 2 on a bad
 * setting or when the engine cannot start, 1 when it shut down on its own after repeated failures.
 */
public final class EngineMain {

    private EngineMain() {}

    public static void main(String[] args) throws InterruptedException {
        EngineConfig config;
        Engine engine;
        try {
            config = EngineConfig.fromEnv(System.getenv());
            engine = Engine.start(config, HttpApiConfig.fromEnv(System.getenv()));
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Thread shutdown = new Thread(engine::close, "agentlog-engine-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        while (!engine.awaitFailure(Duration.ofDays(1))) {
            // runs until SIGTERM (the shutdown hook) or until the engine fails
        }
        System.err.println("agentlog engine: shut down after repeated failures: " + engine.lastFailure());
        System.exit(1);
    }
}
