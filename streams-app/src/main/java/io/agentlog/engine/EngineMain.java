package io.agentlog.engine;

import java.util.concurrent.CountDownLatch;

/** Runs one engine until SIGTERM; configuration from {@code AGENTLOG_*} environment variables. */
public final class EngineMain {

    private EngineMain() {}

    public static void main(String[] args) throws InterruptedException {
        EngineConfig config;
        try {
            config = EngineConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Engine engine = Engine.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            engine.close();
                            stopped.countDown();
                        },
                        "agentlog-engine-shutdown"));
        stopped.await();
    }
}
