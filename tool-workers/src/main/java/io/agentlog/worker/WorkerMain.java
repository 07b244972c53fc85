package io.agentlog.worker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a worker process until it is stopped (SIGTERM/SIGINT: a clean shutdown that finishes running items) or a pool
 * fails (exit code 1, so a supervisor restarts it). Configured by environment variables, see {@link WorkerConfig};
 * a bad value, or a metrics port it cannot listen on, exits with code 2 and a message naming it.
 */
public final class WorkerMain {

    /** The logging configuration used unless {@code logback.configurationFile} names another. */
    static final String LOGBACK_CONFIG = "agentlog-worker-logback.xml";

    private WorkerMain() {}

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        Logger log = LoggerFactory.getLogger(WorkerMain.class); // after the property: logging starts here
        WorkerConfig config;
        try {
            config = WorkerConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            log.error("Invalid worker configuration: {}", e.getMessage());
            System.exit(2);
            return;
        }
        Worker worker;
        try {
            worker = Worker.start(config);
        } catch (IllegalStateException e) {
            log.error("The worker cannot start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        int code = worker.serveUntilShutdown();
        if (code != 0) {
            System.exit(code);
        }
    }
}
