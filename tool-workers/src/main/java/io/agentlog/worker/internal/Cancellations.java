package io.agentlog.worker.internal;

import io.agentlog.schemas.avro.WorkCancelled;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work items of this worker that nobody waits for any more ({@code agentlog.cancels}): a running one is
 * interrupted (a sandboxed process is killed, a model call abandoned), one that has not started is skipped. Either way
 * its delivery is acknowledged without a result: the engine would drop that result as not pending.
 */
public final class Cancellations {

    private static final Logger log = LoggerFactory.getLogger(Cancellations.class);

    /** Most cancelled items remembered for items still to come; the oldest are forgotten first. */
    static final int MAX_REMEMBERED = 100_000;

    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Map<String, Boolean> cancelled = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };

    /** A running item: its thread, and whether it was cancelled (so its end is no failure to redeliver). */
    public static final class Running {
        private final Thread thread;
        private volatile boolean cancelled;

        Running(Thread thread) {
            this.thread = thread;
        }

        public boolean cancelled() {
            return cancelled;
        }
    }

    static String key(String sessionId, String workId) {
        return sessionId + "/" + workId;
    }

    /** Cancels these items: interrupts the ones running here, and remembers them for deliveries still to come. */
    public void apply(WorkCancelled cancel) {
        for (String workId : cancel.getWorkIds()) {
            String key = key(cancel.getSessionId(), workId);
            synchronized (cancelled) {
                cancelled.put(key, Boolean.TRUE);
            }
            Running item = running.get(key);
            if (item != null && !item.cancelled) {
                item.cancelled = true;
                item.thread.interrupt();
                log.info("Stopping work {} of session {}: {}", workId, cancel.getSessionId(), cancel.getReason());
            }
        }
    }

    public boolean isCancelled(String sessionId, String workId) {
        synchronized (cancelled) {
            return cancelled.containsKey(key(sessionId, workId));
        }
    }

    /** The calling thread runs this item until {@link #finished}; empty when it was cancelled already. */
    public Optional<Running> start(String sessionId, String workId) {
        String key = key(sessionId, workId);
        Running item = new Running(Thread.currentThread());
        running.put(key, item);
        if (isCancelled(sessionId, workId)) { // a cancel between the check and the registration
            running.remove(key, item);
            return Optional.empty();
        }
        return Optional.of(item);
    }

    public void finished(String sessionId, String workId, Running item) {
        running.remove(key(sessionId, workId), item);
        if (item.cancelled) {
            Thread.interrupted(); // the interrupt was for the item, not for the thread's next use
        }
    }
}
