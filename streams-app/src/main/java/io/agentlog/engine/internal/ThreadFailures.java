package io.agentlog.engine.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What to do when a stream thread dies: replace it (a transient fault, or a record the processor has learned to
 * fail since), but not forever. A fault that keeps killing threads (a store that cannot be written, a topic that
 * refuses every record) would otherwise loop on the same input without end; past {@code maxFailures} within
 * {@code window} the instance shuts down with the error, so an operator sees it and its tasks move to another
 * instance.
 */
public final class ThreadFailures implements StreamsUncaughtExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ThreadFailures.class);

    private final int maxFailures;
    private final Duration window;
    private final Deque<Long> failures = new ArrayDeque<>();
    private volatile Throwable last;

    public ThreadFailures(int maxFailures, Duration window) {
        this.maxFailures = maxFailures;
        this.window = window;
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
        last = exception;
        long now = System.nanoTime();
        failures.addLast(now);
        while (!failures.isEmpty() && now - failures.peekFirst() > window.toNanos()) {
            failures.removeFirst();
        }
        if (failures.size() > maxFailures) {
            log.error(
                    "Stream threads failed {} times within {} s; shutting this engine instance down (last failure"
                            + " below)",
                    failures.size(),
                    window.toSeconds(),
                    exception);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        log.error("Engine stream thread failed; replacing it", exception);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** The last failure, if any. */
    public Throwable last() {
        return last;
    }
}
