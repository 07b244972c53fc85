package io.agentlog.engine.internal;

import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.WorkKind;
import io.agentlog.schemas.avro.WorkOutcome;
import java.util.Optional;

/**
 * Wall-clock timers: a pending model turn or tool call past its deadline, or a session past its
 * wall-time budget. A late tool call becomes an error result the model sees; a late model turn
 * fails the session; the session deadline ends it with BUDGET_EXCEEDED.
 */
final class TimerHandler {

    private final SessionRuntime runtime;

    TimerHandler(SessionRuntime runtime) {
        this.runtime = runtime;
    }

    void fire() {
        for (String[] timer : runtime.takeDueTimers()) {
            String sessionId = timer[0];
            String id = timer[1];
            Optional<SessionState> loaded = runtime.load(sessionId);
            if (loaded.isEmpty() || Transitions.isTerminal(loaded.get().getStatus())) {
                continue;
            }
            SessionState state = loaded.get();
            if (SessionRuntime.isSessionTimer(id)) {
                runtime.end(
                        state,
                        ResultStatus.BUDGET_EXCEEDED,
                        null,
                        "wall time limit of " + state.getLimits().getMaxWallTimeMs() + " ms reached");
            } else {
                Optional<PendingWork> pending = runtime.takePending(state, id);
                if (pending.isEmpty()) {
                    continue;
                }
                long waited = runtime.now() - pending.get().getRequestedAt().toEpochMilli();
                if (pending.get().getKind() == WorkKind.MODEL) {
                    runtime.end(
                            state,
                            ResultStatus.FAILED,
                            null,
                            "model call " + id + " timed out after " + waited
                                    + " ms (no model worker answered; is one running for pool 'model'?)");
                } else {
                    runtime.completeTool(
                            state,
                            pending.get().getToolCallId(),
                            pending.get().getTool(),
                            WorkOutcome.ERROR,
                            "timed out after " + waited + " ms with no result",
                            true);
                    runtime.advance(state);
                }
            }
            runtime.save(state);
        }
    }
}
