package io.agentlog.engine.session;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.WorkCancelled;
import io.agentlog.schemas.avro.WorkKind;
import java.time.Instant;
import java.util.List;

/**
 * Tells workers about work nobody waits for any more, on {@code agentlog.cancels}: the model turns and worker tool
 * calls still pending when a session ends (cancelled, failed, over budget), and a tool call past its deadline. Workers
 * stop such items where they can (a sandboxed process is killed, a model call abandoned) and skip them if they have
 * not started; a result that still comes is dropped by the engine as not pending, as before. Written in the same step
 * as the end, so exactly when the session ends.
 */
final class WorkCancels {

    private WorkCancels() {}

    /** The session is ending: its pending worker items are cancelled (before SessionEnded folds them away). */
    static void onEnd(Step step, SessionState before, String reason) {
        List<String> workIds = before.getPending().stream()
                .filter(WorkCancels::onAWorker)
                .map(PendingWork::getWorkId)
                .toList();
        send(step, workIds, reason);
    }

    /** One worker item the session stopped waiting for. */
    static void one(Step step, PendingWork work, String reason) {
        if (onAWorker(work)) {
            send(step, List.of(work.getWorkId()), reason);
        }
    }

    /** Model turns and tool calls of worker pools; not the engine's own waits (approvals, questions, sleeps, children). */
    private static boolean onAWorker(PendingWork work) {
        return work.getKind() == WorkKind.MODEL
                || work.getKind() == WorkKind.COMPACTION
                || (work.getKind() == WorkKind.TOOL && !SubAgents.isSpawn(work));
    }

    private static void send(Step step, List<String> workIds, String reason) {
        if (workIds.isEmpty()) {
            return;
        }
        WorkCancelled cancelled =
                new WorkCancelled(step.sessionId(), workIds, reason, Instant.ofEpochMilli(step.now()));
        step.message(
                Topics.CANCELS.name(),
                step.sessionId(),
                Topics.CANCELS.valueSerde().serializer().serialize("", cancelled));
    }
}
