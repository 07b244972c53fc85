package io.agentlog.bench;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;

/**
 * A stand-in for the engine and its workers, on the real broker: for each task it writes, in one transaction, the
 * journal a {@code steps}-step session would have (model turns {@link #STEP_MS} apart by the event clock, each
 * model hop {@link #MODEL_HOP_MS} and tool hop {@link #TOOL_HOP_MS} long) and a terminal result. The first task is answered "unknown agent", as a real engine does while its global
 * store has not yet read a just-registered definition. Sessions whose id matches {@code failing} end
 * {@code BUDGET_EXCEEDED}.
 */
final class FakeEngine implements AutoCloseable {

    static final long STEP_MS = 7;
    static final long MODEL_HOP_MS = 2;
    static final long TOOL_HOP_MS = 3;

    private final int steps;
    private final Predicate<String> failing;
    private final AtomicInteger tasksSeen = new AtomicInteger();
    private final TaskPump pump;

    FakeEngine(String bootstrap, int steps, Predicate<String> failing) {
        this.steps = steps;
        this.failing = failing;
        this.pump = new TaskPump(bootstrap, "fake-engine");
        pump.start(
                "fake-engine",
                (record, task) -> pump.transaction(() -> answer(record.key(), task, tasksSeen.getAndIncrement() == 0)),
                () -> {});
    }

    int tasksSeen() {
        return tasksSeen.get();
    }

    private void answer(String sessionId, TaskSubmitted task, boolean unknownAgent) {
        long at = System.currentTimeMillis();
        long seq = 0;
        if (unknownAgent) {
            String error = "unknown agent '" + task.getAgent() + "' version " + task.getAgentVersion();
            event(sessionId, seq, at, new SessionEnded(ResultStatus.FAILED, null, error));
            result(sessionId, task, ResultStatus.FAILED, null, error, 0);
            return;
        }
        event(sessionId, seq++, at, TaskPump.started(task));
        for (int turn = 0; turn <= steps; turn++) {
            long turnAt = at + turn * STEP_MS;
            event(sessionId, seq++, turnAt, new ModelRequested("m" + turn, turn, java.time.Instant.EPOCH, null));
            boolean last = turn == steps;
            String callId = "call_" + turn + "_0";
            List<ToolCall> calls = last ? List.of() : List.of(new ToolCall(callId, BuiltinTools.NOOP, "{}"));
            event(
                    sessionId,
                    seq++,
                    turnAt + MODEL_HOP_MS,
                    new ModelResponded(
                            "m" + turn, turn, last ? StepsAgent.FINAL_TEXT : "", calls, new Usage(0L, 0L, 0L, 0L)));
            if (!last) {
                event(
                        sessionId,
                        seq++,
                        turnAt + MODEL_HOP_MS,
                        new ToolRequested(
                                "t" + turn,
                                callId,
                                BuiltinTools.NOOP,
                                "{}",
                                Topics.TOOLS_POOL,
                                java.time.Instant.EPOCH));
                event(
                        sessionId,
                        seq++,
                        turnAt + MODEL_HOP_MS + TOOL_HOP_MS,
                        new ToolCompleted(callId, BuiltinTools.NOOP, WorkOutcome.OK, "ok", false, null, null));
            }
        }
        long end = at + steps * STEP_MS;
        if (failing.test(sessionId)) {
            event(sessionId, seq, end, new SessionEnded(ResultStatus.BUDGET_EXCEEDED, null, "step budget spent"));
            result(sessionId, task, ResultStatus.BUDGET_EXCEEDED, null, "step budget spent", steps + 1);
        } else {
            event(sessionId, seq, end, new SessionEnded(ResultStatus.COMPLETED, StepsAgent.FINAL_TEXT, null));
            result(sessionId, task, ResultStatus.COMPLETED, StepsAgent.FINAL_TEXT, null, steps + 1);
        }
    }

    private void event(String sessionId, long seq, long at, SpecificRecord payload) {
        pump.event(sessionId, seq, at, payload);
    }

    private void result(
            String sessionId, TaskSubmitted task, ResultStatus status, String output, String error, int turns) {
        pump.result(TaskPump.resultOf(sessionId, task, status, output, error, turns));
    }

    @Override
    public void close() throws InterruptedException {
        pump.close();
    }
}
