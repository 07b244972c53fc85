package io.agentlog.engine.session;

import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.WorkKind;
import java.util.HashMap;
import java.util.Map;

/**
 * The timers a session's state implies, so the timers store is derived from the state and never disagrees with it:
 * one per pending work item (its deadline), the session's wall-time deadline while it runs, and its retention once
 * it ended. The engine writes the difference between the state before and after each step.
 */
public final class Timers {

    /** The session's wall-time deadline. */
    public static final String SESSION = "session";

    /** An ended session's retention: its entries are deleted then. */
    public static final String RETENTION = "retention";

    private Timers() {}

    /** Timer id (a work id, {@link #SESSION} or {@link #RETENTION}) to due time in epoch milliseconds. */
    public static Map<String, Long> of(SessionState state, EngineConfig config) {
        Map<String, Long> timers = new HashMap<>();
        if (Transitions.isTerminal(state.getStatus())) {
            timers.put(RETENTION, retentionDue(state, config));
            return timers;
        }
        for (PendingWork pending : state.getPending()) {
            if (pending.getKind() != WorkKind.APPROVAL && pending.getKind() != WorkKind.QUESTION) {
                // a human has no deadline but the session's
                timers.put(pending.getWorkId(), pending.getDeadline().toEpochMilli());
            }
        }
        long deadline = state.getDeadline().toEpochMilli();
        if (deadline > 0) {
            timers.put(SESSION, deadline);
        }
        return timers;
    }

    static long retentionDue(SessionState state, EngineConfig config) {
        return state.getEndedAt().toEpochMilli() + config.retention().toMillis();
    }
}
