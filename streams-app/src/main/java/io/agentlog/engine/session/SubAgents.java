package io.agentlog.engine.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkKind;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Sub-agents ({@code spawn_agent}): a child session runs on its own, its end answers the parent's call.
 *
 * <p>All of it travels as ordinary records, written in the step that decides it, so it survives crashes like any
 * step: the spawn is a pending tool call of the parent (work id {@code w<n>}, the tool's deadline) and a
 * {@code TaskSubmitted} for the child (id {@code <parent>:<work id>}, with {@code parentSessionId} and
 * {@code parentWorkId}); the child's end writes a {@code WorkResult} for that work id to {@code agentlog.work.results},
 * keyed by the parent, which the parent takes like a worker's tool result (the child's usage with it, so children
 * spend from the parent's budgets). The child's budgets are carved out of what the parent has left (tokens, cost,
 * wall time). A parent that ends while children run cancels them; a spawn past its deadline cancels its child too. A
 * child that fails is an error result the parent's model sees.
 */
final class SubAgents {

    /** Longest child input: a task record must fit its topic, and a model has no business sending more. */
    static final int MAX_INPUT_CHARS = 256 * 1024;

    private SubAgents() {}

    /** The child session of the parent's work item: deterministic, so a replayed step names the same child. */
    static String childId(String parentId, String workId) {
        String id = parentId + ":" + workId;
        if (SessionIds.VALID.matcher(id).matches()) {
            return id;
        }
        return "child-" + sha256(parentId).substring(0, 40) + ":" + workId; // a long parent id: hashed, still valid
    }

    /** Starts the child of a {@code spawn_agent} call, or answers the call with what is wrong with it. */
    static void spawn(Step step, Turns turns, ToolSpec spec, ToolCall call, ObjectNode args) {
        String agent = text(args.get("agent"));
        String input = text(args.get("input"));
        if (agent == null || agent.isBlank() || input == null || input.isBlank()) {
            refuse(step, turns, call, "spawn_agent needs 'agent' (an agent's name) and 'input' (the child's task)");
            return;
        }
        if (input.length() > MAX_INPUT_CHARS) {
            refuse(
                    step,
                    turns,
                    call,
                    "spawn_agent: the input is " + input.length() + " characters, more than the " + MAX_INPUT_CHARS
                            + " a child's task may have; write it to a file and name the file instead");
            return;
        }
        SessionState state = step.requireState();
        String workId = Turns.nextWorkId(state);
        String child = childId(step.sessionId(), workId);
        long timeoutMs = spec.getTimeoutMs() > 0 ? spec.getTimeoutMs() : Turns.DEFAULT_TOOL_TIMEOUT_MS;
        TaskSubmitted task = TaskSubmitted.newBuilder()
                .setSessionId(child)
                .setAgent(agent)
                .setInput(input)
                .setParentSessionId(step.sessionId())
                .setParentWorkId(workId)
                .setBudget(carve(state, step.now()))
                .setMetadata(Map.of())
                .setSubmittedAt(Instant.ofEpochMilli(step.now()))
                .build();
        step.message(
                Topics.TASKS.name(),
                child,
                Topics.TASKS.valueSerde().serializer().serialize("", task));
        step.emit(new ToolRequested(
                workId,
                call.getId(),
                call.getName(),
                call.getArguments(),
                Topics.ENGINE_POOL,
                Instant.ofEpochMilli(step.now() + timeoutMs)));
    }

    /**
     * What the child may spend: what the parent has left of its token and cost budgets, and of its wall time (each
     * only where the parent has a limit; the child's own definition may lower them further).
     */
    static Budget carve(SessionState parent, long now) {
        Limits limits = parent.getLimits();
        Usage used = parent.getUsage();
        Long tokens = limits.getMaxTokens() > 0
                ? Math.max(1, limits.getMaxTokens() - used.getInputTokens() - used.getOutputTokens())
                : null;
        Long cost =
                limits.getMaxCostMicros() > 0 ? Math.max(1, limits.getMaxCostMicros() - used.getCostMicros()) : null;
        long deadline = parent.getDeadline().toEpochMilli();
        Long wall = deadline > 0 ? Math.max(1, deadline - now) : null;
        return new Budget(null, tokens, wall, cost);
    }

    /**
     * A session is ending (before its {@code SessionEnded} folds the pending work away): a child answers its parent,
     * a parent cancels the children still running.
     */
    static void onEnd(Step step, SessionState before, ResultStatus status, String output, String error) {
        if (before.getParentSessionId() != null && before.getParentWorkId() != null) {
            answerParent(step, before, status, output, error);
        }
        for (PendingWork pending : before.getPending()) {
            if (isSpawn(pending)) {
                cancelChild(step, pending, "its parent session " + step.sessionId() + " ended " + status);
            }
        }
    }

    static boolean isSpawn(PendingWork pending) {
        return pending.getKind() == WorkKind.TOOL && BuiltinTools.SPAWN_AGENT.equals(pending.getTool());
    }

    /** Cancels the child of a spawn call (the parent ended, or stopped waiting for it). */
    static void cancelChild(Step step, PendingWork spawn, String reason) {
        String child = childId(step.sessionId(), spawn.getWorkId());
        ControlCommand cancel = ControlCommand.newBuilder()
                .setSessionId(child)
                .setType(ControlType.CANCEL)
                .setMessage(reason)
                .setIssuedAt(Instant.ofEpochMilli(step.now()))
                .build();
        step.message(
                Topics.CONTROL.name(),
                child,
                Topics.CONTROL.valueSerde().serializer().serialize("", cancel));
    }

    private static void answerParent(Step step, SessionState child, ResultStatus status, String output, String error) {
        boolean completed = status == ResultStatus.COMPLETED;
        String content = completed
                ? (output == null ? "" : output)
                : "child session " + child.getSessionId() + " (agent " + child.getAgent() + ") ended " + status
                        + (error == null ? "" : ": " + error);
        WorkResult result = WorkResult.newBuilder()
                .setWorkId(child.getParentWorkId())
                .setSessionId(child.getParentSessionId())
                .setOutcome(WorkOutcome.OK)
                .setResult(ToolOutput.newBuilder()
                        .setContent(content)
                        .setIsError(!completed)
                        .setFileChanges(List.of())
                        .build())
                .setUsage(Usage.newBuilder(child.getUsage()).build())
                .setWorkerId("engine (child session " + child.getSessionId() + ")")
                .setDeliveryCount(1)
                .setDurationMs(Math.max(0, step.now() - child.getStartedAt().toEpochMilli()))
                .setCompletedAt(Instant.ofEpochMilli(step.now()))
                .build();
        step.message(
                Topics.WORK_RESULTS.name(),
                child.getParentSessionId(),
                Topics.WORK_RESULTS.valueSerde().serializer().serialize("", result));
    }

    private static void refuse(Step step, Turns turns, ToolCall call, String reason) {
        turns.completeTool(step, call.getId(), call.getName(), null, WorkOutcome.ERROR, reason, true, null);
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
