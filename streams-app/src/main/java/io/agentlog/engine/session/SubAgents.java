package io.agentlog.engine.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.ChildEnded;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

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

    /** Children one spawn_agent call may start. */
    static final int MAX_FAN_OUT = 16;

    /** How deep sub-agents may nest: a runaway recursion of agents spawning agents stops here. */
    static final int MAX_DEPTH = 4;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String FAILED_SUFFIX = ".failed.txt";

    private SubAgents() {}

    /** The child session of the parent's work item: deterministic, so a replayed step names the same child. */
    static String childId(String parentId, String workId) {
        String id = parentId + ":" + workId;
        if (SessionIds.VALID.matcher(id).matches()) {
            return id;
        }
        return "child-"
                + WorkspaceFiles.sha256(parentId.getBytes(StandardCharsets.UTF_8))
                        .substring(0, 40) + ":" + workId; // a long parent id: hashed, still valid
    }

    /** A child to start: the agent and its task. */
    record ChildTask(String agent, String input) {}

    /**
     * Starts the children of a {@code spawn_agent} call ({@code agent} and {@code input}, or a list of them in
     * {@code tasks}), or answers the call with what is wrong with it.
     */
    static void spawn(Step step, Turns turns, ToolSpec spec, ToolCall call, ObjectNode args) {
        List<ChildTask> children = new ArrayList<>();
        Optional<String> problem = childTasks(args, children);
        if (problem.isPresent()) {
            refuse(step, turns, call, "spawn_agent: " + problem.get());
            return;
        }
        SessionState state = step.requireState();
        if (state.getDepth() >= MAX_DEPTH) {
            refuse(
                    step,
                    turns,
                    call,
                    "spawn_agent: sub-agents nest at most " + MAX_DEPTH + " deep, and this session is at depth "
                            + state.getDepth() + "; do the work here");
            return;
        }
        if (children.size() > 1) {
            // a fork may dispatch a fan-out again: answers of its earlier children are not this call's
            String dir = childrenDir(call.getId());
            step.model().files(dir).keySet().forEach(path -> turns.workspace().delete(step, path));
        }
        long timeoutMs = spec.getTimeoutMs() > 0 ? spec.getTimeoutMs() : Turns.DEFAULT_TOOL_TIMEOUT_MS;
        for (ChildTask task : children) {
            start(step, call, task, timeoutMs);
        }
    }

    private static void start(Step step, ToolCall call, ChildTask task, long timeoutMs) {
        SessionState state = step.requireState();
        String workId = Turns.nextWorkId(state);
        String child = childId(step.sessionId(), workId);
        TaskSubmitted submitted = TaskSubmitted.newBuilder()
                .setSessionId(child)
                .setAgent(task.agent())
                .setInput(task.input())
                .setParentSessionId(step.sessionId())
                .setParentWorkId(workId)
                .setBudget(carve(state, step.now()))
                .setMetadata(Map.of())
                .setSubmittedAt(Instant.ofEpochMilli(step.now()))
                .setDepth(state.getDepth() + 1)
                .build();
        step.message(
                Topics.TASKS.name(),
                child,
                Topics.TASKS.valueSerde().serializer().serialize("", submitted));
        ObjectNode arguments =
                JSON.createObjectNode().put("agent", task.agent()).put("input", task.input());
        step.emit(new ToolRequested(
                workId,
                call.getId(),
                call.getName(),
                arguments.toString(),
                Topics.ENGINE_POOL,
                Instant.ofEpochMilli(step.now() + timeoutMs)));
    }

    /** Reads the children a call asks for into {@code out}, or says what is wrong with the arguments. */
    static Optional<String> childTasks(ObjectNode args, List<ChildTask> out) {
        JsonNode tasks = args.get("tasks");
        if (tasks != null && (args.has("agent") || args.has("input"))) {
            return Optional.of("give either 'agent' and 'input' (one child) or 'tasks' (several), not both");
        }
        if (tasks == null) {
            return childTask(args, "", out);
        }
        if (!tasks.isArray() || tasks.isEmpty() || tasks.size() > MAX_FAN_OUT) {
            return Optional.of("'tasks' must be a list of 1 to " + MAX_FAN_OUT + " objects with 'agent' and 'input'");
        }
        for (int i = 0; i < tasks.size(); i++) {
            if (!(tasks.get(i) instanceof ObjectNode task)) {
                return Optional.of("tasks[" + i + "] must be an object with 'agent' and 'input'");
            }
            Optional<String> problem = childTask(task, "tasks[" + i + "]: ", out);
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> childTask(JsonNode task, String where, List<ChildTask> out) {
        String agent = text(task.get("agent"));
        String input = text(task.get("input"));
        if (agent == null || agent.isBlank() || input == null || input.isBlank()) {
            return Optional.of(where + "needs 'agent' (an agent's name) and 'input' (the child's task)");
        }
        if (input.length() > MAX_INPUT_CHARS) {
            return Optional.of(where + "the input is " + input.length() + " characters, more than the "
                    + MAX_INPUT_CHARS + " a child's task may have; write it to a file and name the file instead");
        }
        out.add(new ChildTask(agent, input));
        return Optional.empty();
    }

    /** Where the answers of a fan-out's children wait for the last of them, and stay for the agent to read. */
    static String childrenDir(String toolCallId) {
        return Turns.OUTPUTS_DIR.replace("outputs/", "children/") + Turns.sanitize(toolCallId) + "/";
    }

    /**
     * A child of a spawn call ended (its result came back, or the parent stopped waiting): the call's result, or,
     * while other children of the same call still run, its answer kept in the workspace and a {@link ChildEnded}.
     * The last child's result gathers every answer of the call.
     */
    static void childEnded(Step step, Turns turns, PendingWork spawn, String content, boolean isError, Usage usage) {
        SessionState state = step.requireState();
        boolean others = state.getPending().stream()
                .anyMatch(p -> isSpawn(p)
                        && p.getToolCallId().equals(spawn.getToolCallId())
                        && !p.getWorkId().equals(spawn.getWorkId()));
        String dir = childrenDir(spawn.getToolCallId());
        String result = content;
        boolean failed = isError;
        if (others || !step.model().files(dir).isEmpty()) {
            // a fan-out: each answer is kept until the last child's end gathers them
            String child = childId(step.sessionId(), spawn.getWorkId());
            keepAnswer(step, turns, dir + answerFile(spawn, isError), child, isError, content);
            if (others) {
                step.emit(new ChildEnded(spawn.getWorkId(), spawn.getToolCallId(), child, isError, usage));
                return;
            }
            // named by work seq, so in path order the answers are in the order of the call's tasks
            SortedMap<String, byte[]> answers = step.model().files(dir);
            StringBuilder gathered =
                    new StringBuilder(answers.size() + " sub-agents ended; their answers are also in " + dir + "\n");
            failed = false;
            int n = 0;
            for (Map.Entry<String, byte[]> answer : answers.entrySet()) {
                failed |= answer.getKey().endsWith(FAILED_SUFFIX);
                gathered.append("\n## ")
                        .append(++n)
                        .append(". ")
                        .append(new String(answer.getValue(), StandardCharsets.UTF_8))
                        .append('\n');
            }
            result = gathered.toString();
        }
        turns.completeTool(
                step, spawn.getToolCallId(), spawn.getTool(), spawn.getWorkId(), WorkOutcome.OK, result, failed, usage);
    }

    /** Where a child's answer waits: named by its work seq, so the answers sort in the order of the call's tasks. */
    private static String answerFile(PendingWork spawn, boolean failed) {
        return String.format("%06d", Math.max(0, SessionFold.workSeq(spawn.getWorkId())))
                + (failed ? FAILED_SUFFIX : ".completed.txt");
    }

    private static void keepAnswer(Step step, Turns turns, String path, String child, boolean failed, String answer) {
        String header = "session " + child + (failed ? " failed" : " completed") + "\n";
        turns.workspace()
                .write(step, path, (header + answer).getBytes(StandardCharsets.UTF_8))
                .ifPresent(refused -> turns.workspace()
                        .write(
                                step,
                                path,
                                (header + "[its answer could not be kept: " + refused + "]")
                                        .getBytes(StandardCharsets.UTF_8)));
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
}
