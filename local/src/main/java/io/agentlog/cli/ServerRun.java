package io.agentlog.cli;

import java.util.concurrent.CountDownLatch;

/** Keeps a foreground server command alive until SIGTERM or Ctrl-C, then closes the server once. */
final class ServerRun {

    private ServerRun() {}

    static int untilShutdown(String name, AutoCloseable server) throws InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                server.close();
                            } catch (Exception e) {
                                System.err.println("agentlog " + name + ": error while stopping: " + e.getMessage());
                            } finally {
                                closed.countDown();
                            }
                        },
                        "agentlog-" + name + "-stop"));
        closed.await();
        return 0;
    }
}
