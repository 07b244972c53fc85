package io.agentlog.engine.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkKind;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code WorkResult}: a model turn or a tool call came back. A result whose work id is not pending
 * (a duplicate delivery, or late after a cancel or timeout) is logged and dropped. A model turn
 * with tool calls fans them out in parallel; the next turn starts when all of them are in.
 */
final class WorkResultHandler {

    private static final Logger log = LoggerFactory.getLogger(WorkResultHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Tool-call arguments one model turn may carry in all (a journal event holds the whole turn). */
    static final int MAX_ARGUMENT_CHARS_PER_TURN = 4 * 1024 * 1024;

    private final SessionRuntime runtime;

    WorkResultHandler(SessionRuntime runtime) {
        this.runtime = runtime;
    }

    void handle(String key, WorkResult result) {
        if (key == null || !key.equals(result.getSessionId())) {
            runtime.deadLetter(
                    key,
                    result,
                    "work result " + result.getWorkId() + " has key '" + key + "' but session id '"
                            + result.getSessionId() + "'; workers must key results by session id");
            return;
        }
        Optional<SessionState> loaded = runtime.load(key);
        if (loaded.isEmpty()) {
            runtime.deadLetter(key, result, "work result " + result.getWorkId() + " for unknown session " + key);
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
        Optional<PendingWork> pending = runtime.takePending(state, result.getWorkId());
        if (pending.isEmpty()) {
            log.info("Dropping result {} for session {}: not pending (duplicate or late)", result.getWorkId(), key);
            return;
        }
        addUsage(state, result.getUsage());
        if (pending.get().getKind() == WorkKind.MODEL) {
            onModel(state, pending.get(), result);
        } else {
            onTool(state, pending.get(), result);
        }
        runtime.advance(state);
        runtime.save(state);
    }

    private void onModel(SessionState state, PendingWork pending, WorkResult result) {
        if (result.getOutcome() != WorkOutcome.OK || !(result.getResult() instanceof ModelReply reply)) {
            String why = result.getError() == null ? "no reply" : result.getError();
            runtime.end(state, ResultStatus.FAILED, null, "model call " + pending.getWorkId() + " failed: " + why);
            return;
        }
        int turn = state.getSteps() - 1;
        String text = runtime.capped(state, reply.getText(), "model-" + pending.getWorkId());
        List<ToolCall> calls = reply.getToolCalls();
        List<ToolCall> recorded = withinArgumentBudget(calls);
        runtime.emit(state, new ModelResponded(pending.getWorkId(), turn, text, recorded, result.getUsage()));
        runtime.append(
                state,
                Message.newBuilder()
                        .setRole(Role.ASSISTANT)
                        .setContent(text)
                        .setToolCalls(recorded)
                        .build());
        if (calls.isEmpty()) {
            runtime.end(state, ResultStatus.COMPLETED, runtime.cappedOutput(state, reply.getText()), null);
            return;
        }
        int max = state.getLimits().getMaxToolCallsPerTurn();
        for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            if (max > 0 && i >= max) {
                runtime.completeTool(
                        state,
                        call.getId(),
                        call.getName(),
                        WorkOutcome.ERROR,
                        "not run: at most " + max + " tool calls per turn are allowed",
                        true);
            } else if (recorded.get(i) != call) {
                runtime.completeTool(
                        state,
                        call.getId(),
                        call.getName(),
                        WorkOutcome.ERROR,
                        "not run: the arguments"
                                + " of this turn's tool calls exceed " + MAX_ARGUMENT_CHARS_PER_TURN
                                + " characters in all;"
                                + " write large content in smaller pieces",
                        true);
            } else {
                dispatch(state, call);
            }
        }
    }

    /**
     * The tool calls as they are recorded: calls whose arguments pass the per-turn budget are
     * replaced by a copy with a short note for arguments, so no journal event or history entry
     * grows past what the topics hold.
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

    /** Runs an inline tool now, sends a worker tool to its pool, or answers the model with the reason it cannot run. */
    private void dispatch(SessionState state, ToolCall call) {
        Optional<ToolSpec> spec = state.getDefinition().getTools().stream()
                .filter(t -> t.getName().equals(call.getName()))
                .findFirst();
        if (spec.isEmpty()) {
            runtime.completeTool(
                    state,
                    call.getId(),
                    call.getName(),
                    WorkOutcome.ERROR,
                    "unknown tool '" + call.getName() + "'; this agent's tools are "
                            + TaskHandler.toolNames(state.getDefinition()),
                    true);
            return;
        }
        ObjectNode args;
        try {
            JsonNode parsed = JSON.readTree(call.getArguments().isBlank() ? "{}" : call.getArguments());
            if (!(parsed instanceof ObjectNode object)) {
                throw new IllegalArgumentException("not a JSON object");
            }
            args = object;
        } catch (Exception e) {
            runtime.completeTool(
                    state,
                    call.getId(),
                    call.getName(),
                    WorkOutcome.ERROR,
                    "invalid arguments for " + call.getName() + ": expected a JSON object, got '"
                            + abbreviate(call.getArguments()) + "'",
                    true);
            return;
        }
        ToolSpec tool = spec.get();
        if (tool.getRequiresApproval()) {
            runtime.completeTool(
                    state,
                    call.getId(),
                    call.getName(),
                    WorkOutcome.ERROR,
                    "not run: tool " + tool.getName() + " requires human approval, which this engine version does not"
                            + " support yet; the call was refused rather than run unapproved",
                    true);
            return;
        }
        if (Topics.ENGINE_POOL.equals(tool.getPool())) {
            runtime.emit(
                    state,
                    new ToolRequested(
                            null,
                            call.getId(),
                            call.getName(),
                            call.getArguments(),
                            tool.getPool(),
                            java.time.Instant.EPOCH));
            InlineTools.Output output = InlineTools.run(runtime, state, call.getName(), args);
            state.setToolCalls(state.getToolCalls() + 1);
            runtime.completeTool(
                    state,
                    call.getId(),
                    call.getName(),
                    output.isError() ? WorkOutcome.ERROR : WorkOutcome.OK,
                    output.content(),
                    output.isError());
            return;
        }
        if (!runtime.poolExists(tool.getPool())) {
            runtime.completeTool(
                    state,
                    call.getId(),
                    call.getName(),
                    WorkOutcome.ERROR,
                    "not run: pool '" + tool.getPool() + "' of tool " + tool.getName() + " has no work topic",
                    true);
            return;
        }
        runtime.requestTool(state, tool, call.getId(), call.getArguments());
    }

    private void onTool(SessionState state, PendingWork pending, WorkResult result) {
        String content;
        boolean isError;
        if (result.getOutcome() == WorkOutcome.OK && result.getResult() instanceof ToolOutput output) {
            content = output.getContent() + applyFileChanges(state, pending, output.getFileChanges());
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
        runtime.completeTool(state, pending.getToolCallId(), pending.getTool(), result.getOutcome(), content, isError);
    }

    /**
     * Applies the files a workspace tool changed, each checked like a write_file call (path inside the
     * workspace, size limits). Returns a note for the model about any change that was refused.
     */
    private String applyFileChanges(SessionState state, PendingWork pending, List<FileChange> changes) {
        if (changes.isEmpty()) {
            return "";
        }
        boolean allowed = state.getDefinition().getTools().stream()
                .anyMatch(t -> t.getName().equals(pending.getTool()) && t.getWorkspace());
        if (!allowed) {
            return "\n[file changes ignored: tool " + pending.getTool() + " has no workspace access]";
        }
        List<String> refused = new ArrayList<>();
        for (FileChange change : changes) {
            try {
                if (change.getContent() == null) {
                    runtime.workspace().delete(runtime, state, change.getPath());
                } else {
                    ByteBuffer buffer = change.getContent().duplicate();
                    byte[] bytes = new byte[buffer.remaining()];
                    buffer.get(bytes);
                    runtime.workspace()
                            .write(runtime, state, change.getPath(), bytes)
                            .ifPresent(reason -> refused.add(change.getPath() + ": " + reason));
                }
            } catch (WorkspaceException e) {
                refused.add("'" + change.getPath() + "': " + e.getMessage());
            }
        }
        return refused.isEmpty() ? "" : "\n[file changes refused: " + String.join("; ", refused) + "]";
    }

    private static void addUsage(SessionState state, Usage usage) {
        if (usage == null) {
            return;
        }
        Usage total = state.getUsage();
        total.setInputTokens(total.getInputTokens() + usage.getInputTokens());
        total.setOutputTokens(total.getOutputTokens() + usage.getOutputTokens());
        total.setCostMicros(total.getCostMicros() + usage.getCostMicros());
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
