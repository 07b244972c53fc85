package io.agentlog.engine.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.schemas.avro.HistoryCompacted;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkDelayed;
import io.agentlog.schemas.avro.WorkKind;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkProgress;
import io.agentlog.schemas.avro.WorkResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code WorkResult}: a model turn or a tool call came back, or its worker reports that it takes longer. A result
 * whose work id is not pending (a duplicate delivery, or late after a cancel or timeout) is logged and dropped. A
 * model turn with tool calls fans them out in parallel; the next turn starts when all of them are in.
 */
final class WorkResultDecision {

    private static final Logger log = LoggerFactory.getLogger(WorkResultDecision.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Tool-call arguments one model turn may carry in all (a journal event holds the whole turn). */
    static final int MAX_ARGUMENT_CHARS_PER_TURN = 4 * 1024 * 1024;

    /** Time for a result to travel once its worker is done, added to the time a worker expects to answer by. */
    static final long DELAY_GRACE_MS = 30_000;

    private final Turns turns;
    private final ToolDispatch tools;

    WorkResultDecision(Turns turns, ToolDispatch tools) {
        this.turns = turns;
        this.tools = tools;
    }

    void decide(Step step, WorkResult result) {
        String key = step.sessionId();
        Optional<SessionState> loaded = step.state();
        if (loaded.isEmpty()) {
            step.reject("work result " + result.getWorkId() + " for unknown session " + key);
            return;
        }
        SessionState state = loaded.get();
        if (Transitions.isTerminal(state.getStatus())) {
            log.debug(
                    "Dropping result {} for session {}, which already ended {}",
                    result.getWorkId(),
                    key,
                    state.getStatus());
            return;
        }
        Optional<PendingWork> pending = SessionFold.find(state, result.getWorkId())
                // only model turns and worker tool calls come back from workers (humans answer on the control topic,
                // sleeps end by their timer)
                .filter(p -> p.getKind() == WorkKind.MODEL
                        || p.getKind() == WorkKind.COMPACTION
                        || p.getKind() == WorkKind.TOOL);
        if (pending.isEmpty()) {
            log.info("Dropping result {} for session {}: not pending (duplicate or late)", result.getWorkId(), key);
            return;
        }
        if (result.getOutcome() == WorkOutcome.DELAYED) {
            delayed(step, pending.get(), result);
            return;
        }
        switch (pending.get().getKind()) {
            case MODEL -> onModel(step, pending.get(), result);
            case COMPACTION -> onCompaction(step, pending.get(), result);
            default -> onTool(step, pending.get(), result);
        }
        turns.advance(step);
    }

    /**
     * A worker is still on the item (a rate limit, a retry, a redelivery): the deadline moves to when it expects to
     * answer, never past {@code requestedAt + AGENTLOG_MAX_WORK_DELAY_MS}.
     */
    private void delayed(Step step, PendingWork pending, WorkResult result) {
        if (!(result.getResult() instanceof WorkProgress progress)) {
            step.reject("work result " + result.getWorkId() + " has outcome DELAYED but no WorkProgress");
            return;
        }
        long cap = pending.getRequestedAt().toEpochMilli()
                + turns.config().maxWorkDelay().toMillis();
        long wanted = progress.getExpectedBy().toEpochMilli() + DELAY_GRACE_MS;
        long until = Math.min(wanted, cap);
        if (until <= pending.getDeadline().toEpochMilli()) {
            log.debug(
                    "Work {} of session {} delayed ({}); its deadline stays",
                    pending.getWorkId(),
                    step.sessionId(),
                    progress.getReason());
            return;
        }
        step.emit(new WorkDelayed(pending.getWorkId(), progress.getReason(), Instant.ofEpochMilli(until)));
    }

    private void onModel(Step step, PendingWork pending, WorkResult result) {
        if (result.getOutcome() != WorkOutcome.OK || !(result.getResult() instanceof ModelReply reply)) {
            String why = result.getError() == null ? "no reply" : result.getError();
            turns.end(step, ResultStatus.FAILED, null, "model call " + pending.getWorkId() + " failed: " + why);
            return;
        }
        SessionState state = step.requireState();
        int turn = state.getSteps() - 1;
        String text = turns.capped(step, reply.getText(), "model-" + pending.getWorkId());
        List<ToolCall> calls = reply.getToolCalls();
        List<ToolCall> recorded = withinArgumentBudget(calls);
        Usage usage = Pricing.priced(result.getUsage(), turns.price(step).orElse(null));
        step.emit(new ModelResponded(pending.getWorkId(), turn, text, recorded, usage));
        turns.recordSpend(step, pending.getWorkId(), usage);
        if (calls.isEmpty()) {
            turns.end(step, ResultStatus.COMPLETED, turns.cappedOutput(step, reply.getText()), null);
            return;
        }
        Optional<AgentDefinition> definition = turns.definition(step);
        if (definition.isEmpty()) {
            return;
        }
        int max = state.getLimits().getMaxToolCallsPerTurn();
        for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            if (max > 0 && i >= max) {
                refuse(step, call, "not run: at most " + max + " tool calls per turn are allowed");
            } else if (recorded.get(i) != call) {
                refuse(
                        step,
                        call,
                        "not run: the arguments of this turn's tool calls exceed " + MAX_ARGUMENT_CHARS_PER_TURN
                                + " characters in all; write large content in smaller pieces");
            } else {
                tools.dispatch(step, definition.get(), call);
            }
        }
    }

    /** A summary of older history came back: later turns send it instead of the messages it covers. */
    private void onCompaction(Step step, PendingWork pending, WorkResult result) {
        if (result.getOutcome() != WorkOutcome.OK || !(result.getResult() instanceof ModelReply reply)) {
            String why = result.getError() == null ? "no reply" : result.getError();
            turns.end(
                    step,
                    ResultStatus.FAILED,
                    null,
                    "context compaction: model call " + pending.getWorkId() + " failed: " + why);
            return;
        }
        if (reply.getText().isBlank()) {
            turns.end(
                    step,
                    ResultStatus.FAILED,
                    null,
                    "context compaction: model call " + pending.getWorkId() + " returned an empty summary");
            return;
        }
        String summary = turns.capped(step, reply.getText(), "summary-" + pending.getWorkId());
        Usage usage = Pricing.priced(result.getUsage(), turns.price(step).orElse(null));
        step.emit(new HistoryCompacted(pending.getWorkId(), summary, pending.getCompactsThrough(), usage));
        turns.recordSpend(step, pending.getWorkId(), usage);
    }

    private void refuse(Step step, ToolCall call, String reason) {
        tools.refuse(step, call, reason);
    }

    /**
     * The tool calls as they are recorded: calls whose arguments pass the per-turn budget are replaced by a copy with
     * a short note for arguments, so no journal event or history entry grows past what the topics hold.
     */
    static List<ToolCall> withinArgumentBudget(List<ToolCall> calls) {
        List<ToolCall> out = new ArrayList<>(calls.size());
        long used = 0;
        for (ToolCall call : calls) {
            used += call.getArguments().length();
            out.add(
                    used <= MAX_ARGUMENT_CHARS_PER_TURN
                            ? call
                            : new ToolCall(
                                    call.getId(),
                                    call.getName(),
                                    "{\"omitted\":\"" + call.getArguments().length()
                                            + " characters over the per-turn limit\"}"));
        }
        return out;
    }

    private void onTool(Step step, PendingWork pending, WorkResult result) {
        String content;
        boolean isError;
        if (result.getOutcome() == WorkOutcome.OK && result.getResult() instanceof ToolOutput output) {
            content = output.getContent() + applyFileChanges(step, pending, output.getFileChanges());
            isError = output.getIsError();
        } else {
            content = switch (result.getOutcome()) {
                case OUTCOME_UNKNOWN ->
                    "outcome unknown: the call may or may not have taken effect (" + nullToEmpty(result.getError())
                            + ")";
                default -> "tool failed: " + nullToEmpty(result.getError());
            };
            isError = true;
        }
        if (SubAgents.isSpawn(pending)) {
            SubAgents.childEnded(step, turns, pending, content, isError, result.getUsage());
            return;
        }
        turns.completeTool(
                step,
                pending.getToolCallId(),
                pending.getTool(),
                pending.getWorkId(),
                result.getOutcome(),
                content,
                isError,
                result.getUsage());
    }

    /**
     * Applies the files a workspace tool changed, each checked like a write_file call (path inside the workspace,
     * size and count limits). Returns a note for the model about any change that was refused.
     */
    private String applyFileChanges(Step step, PendingWork pending, List<FileChange> changes) {
        if (changes.isEmpty()) {
            return "";
        }
        Optional<AgentDefinition> definition = turns.definition(step);
        boolean allowed = definition.isPresent()
                && definition.get().getTools().stream()
                        .anyMatch(t -> t.getName().equals(pending.getTool()) && t.getWorkspace());
        if (!allowed) {
            return "\n[file changes ignored: tool " + pending.getTool() + " has no workspace access]";
        }
        List<String> refused = new ArrayList<>();
        for (FileChange change : changes) {
            try {
                if (change.getContent() == null) {
                    turns.workspace().delete(step, change.getPath());
                } else {
                    turns.workspace()
                            .write(step, change.getPath(), SessionFold.bytes(change.getContent()))
                            .ifPresent(reason -> refused.add(change.getPath() + ": " + reason));
                }
            } catch (WorkspaceException e) {
                refused.add("'" + change.getPath() + "': " + e.getMessage());
            }
        }
        return refused.isEmpty() ? "" : "\n[file changes refused: " + String.join("; ", refused) + "]";
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
