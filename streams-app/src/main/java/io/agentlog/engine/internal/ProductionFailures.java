package io.agentlog.engine.internal;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sessions whose records the producer could not write (a topic whose limit is lower than the engine's, a record a
 * broker refused). Under exactly-once the failed send aborts the whole transaction and the inputs are processed
 * again; without this memory the same input would make the same record and fail the same way forever. The
 * production exception handler notes the session here; the processor then ends that session FAILED at its next
 * input or timer, without the records that could not be written.
 */
public final class ProductionFailures {

    /** The Streams config key under which the handler finds this instance. */
    public static final String CONFIG = "agentlog.production.failures";

    private final ConcurrentHashMap<String, String> bySession = new ConcurrentHashMap<>();

    void record(String sessionId, String reason) {
        bySession.merge(sessionId, reason, (first, second) -> first);
    }

    /** The reason a session's records could not be written, if they could not; forgotten once taken. */
    Optional<String> take(String sessionId) {
        return bySession.isEmpty() ? Optional.empty() : Optional.ofNullable(bySession.remove(sessionId));
    }

    /** The session a record key belongs to (blob keys are {@code sessionId/hash}). */
    static String sessionOf(byte[] key) {
        if (key == null) {
            return null;
        }
        String text = new String(key, java.nio.charset.StandardCharsets.UTF_8);
        int slash = text.indexOf('/');
        return slash < 0 ? text : text.substring(0, slash);
    }
}
