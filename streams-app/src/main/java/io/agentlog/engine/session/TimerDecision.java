package io.agentlog.engine.session;

import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.WorkKind;
import io.agentlog.schemas.avro.WorkOutcome;
import java.util.Optional;

/**
 * A due timer of one session ({@link Timers}): a pending model turn or tool call past its deadline, a sleep that is
 * over, the session past its wall-time budget, or an ended session past its retention. A late tool call becomes an
 * error result the model sees (and its worker item is cancelled); a sleep's call completes; a late model turn fails
 * the session; the session deadline ends it BUDGET_EXCEEDED; retention deletes the session. A timer the state no
 * longer has (the work came back, the session ended) does nothing.
 */
final class TimerDecision {

    private final Turns turns;

    TimerDecision(Turns turns) {
        this.turns = turns;
    }

    void decide(Step step, String timerId) {
        Optional<SessionState> loaded = step.state();
        if (loaded.isEmpty()) {
            return;
        }
        SessionState state = loaded.get();
        long now = step.now();
        if (Transitions.isTerminal(state.getStatus())) {
            if (Timers.RETENTION.equals(timerId) && Timers.retentionDue(state, turns.config()) <= now) {
                step.purge();
            }
            return;
        }
        if (Timers.SESSION.equals(timerId)) {
            long deadline = state.getDeadline().toEpochMilli();
            if (deadline > 0 && deadline <= now) {
                turns.end(step, ResultStatus.BUDGET_EXCEEDED, null, Turns.wallTimeSpent(state));
            }
            return;
        }
        Optional<PendingWork> pending = SessionFold.find(state, timerId);
        if (pending.isEmpty() || pending.get().getDeadline().toEpochMilli() > now) {
            return;
        }
        PendingWork work = pending.get();
        long waited = now - work.getRequestedAt().toEpochMilli();
        if (work.getKind() == WorkKind.MODEL || work.getKind() == WorkKind.COMPACTION) {
            turns.end(
                    step,
                    ResultStatus.FAILED,
                    null,
                    (work.getKind() == WorkKind.COMPACTION ? "context compaction: " : "") + "model call " + timerId
                            + " timed out after " + waited + " ms"
                            + (delayed(work)
                                    ? " (its worker reported delays; a work item may take at most AGENTLOG_MAX_WORK_DELAY_MS="
                                            + turns.config().maxWorkDelay().toMillis() + " ms)"
                                    : " (no model worker answered; is one running for pool 'model'?)"));
        } else if (work.getKind() == WorkKind.SLEEP) {
            turns.completeTool(
                    step,
                    work.getToolCallId(),
                    work.getTool(),
                    work.getWorkId(),
                    WorkOutcome.OK,
                    "slept until " + work.getDeadline() + " (" + waited + " ms)",
                    false,
                    null);
            turns.advance(step);
        } else {
            String timedOut = "timed out after " + waited + " ms with no result";
            if (SubAgents.isSpawn(work)) {
                SubAgents.cancelChild(step, work, "its parent stopped waiting for it after " + waited + " ms");
                SubAgents.childEnded(step, turns, work, timedOut, true, null);
            } else {
                WorkCancels.one(step, work, "session " + step.sessionId() + " stopped waiting after " + waited + " ms");
                turns.completeTool(
                        step,
                        work.getToolCallId(),
                        work.getTool(),
                        work.getWorkId(),
                        WorkOutcome.ERROR,
                        timedOut,
                        true,
                        null);
            }
            turns.advance(step);
        }
    }

    private boolean delayed(PendingWork work) {
        return work.getDeadline().toEpochMilli() - work.getRequestedAt().toEpochMilli()
                > turns.config().modelTimeout().toMillis();
    }
}
