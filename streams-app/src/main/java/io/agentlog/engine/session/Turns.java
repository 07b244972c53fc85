package io.agentlog.engine.session;

import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.SpendRecorded;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The moves every decision shares: request a model turn (after the budget checks), send a tool call to its pool,
 * record a tool's outcome, go on once nothing is pending, end the session. Each move is journal events on the step
 * (folded at once) and outputs; nothing here touches a store.
 */
final class Turns {

    private static final Logger log = LoggerFactory.getLogger(Turns.class);

    /** Where capped texts keep their full version in the workspace. */
    static final String OUTPUTS_DIR = ".agentlog/outputs/";

    /** A tool spec's timeout of 0 or less means the schema's default. */
    static final long DEFAULT_TOOL_TIMEOUT_MS = 60_000;

    /** Room left in a record for its key, headers and batch envelope. */
    static final int RECORD_MARGIN_BYTES = 64 * 1024;

    private static final AvroSerde<WorkRequest> WORK_SERDE = AvroSerde.of(WorkRequest.class);

    private final EngineConfig config;
    private final Definitions definitions;
    private final Pools pools;
    private final Spending spending;
    private final WorkspaceFiles workspace;

    Turns(EngineConfig config, Definitions definitions, Pools pools, Spending spending) {
        this.config = config;
        this.definitions = definitions;
        this.pools = pools;
        this.spending = spending;
        this.workspace = new WorkspaceFiles(config);
    }

    EngineConfig config() {
        return config;
    }

    Definitions definitions() {
        return definitions;
    }

    WorkspaceFiles workspace() {
        return workspace;
    }

    boolean poolExists(String pool) {
        return Topics.ENGINE_POOL.equals(pool) || pools.exists(pool);
    }

    /** The pinned definition's model prices, if it has any; unlike {@link #definition} it never ends the session. */
    Optional<ModelPrice> price(Step step) {
        SessionState state = step.requireState();
        return definitions
                .find(state.getAgent(), state.getAgentVersion())
                .map(d -> d.getModel().getPrice());
    }

    /**
     * The definition the session is pinned to. A definition that is gone, or was replaced under the same
     * {@code name@version} (told apart by its {@code createdAt}), ends the session FAILED: it would not be the agent
     * the session started with.
     */
    Optional<AgentDefinition> definition(Step step) {
        SessionState state = step.requireState();
        String key = Topics.agentKey(state.getAgent(), state.getAgentVersion());
        Optional<AgentDefinition> found = definitions.find(state.getAgent(), state.getAgentVersion());
        if (found.isEmpty()) {
            end(
                    step,
                    ResultStatus.FAILED,
                    null,
                    "agent definition " + key + ", which this session is pinned to, is no longer on "
                            + Topics.AGENTS.name() + " (was it deleted?)");
            return Optional.empty();
        }
        Instant pinned = state.getDefinitionCreatedAt();
        if (!found.get().getCreatedAt().equals(pinned)) {
            end(
                    step,
                    ResultStatus.FAILED,
                    null,
                    "agent definition " + key + " was replaced while the session ran (createdAt "
                            + found.get().getCreatedAt() + ", pinned " + pinned + "); definitions are immutable:"
                            + " register a new version instead");
            return Optional.empty();
        }
        return found;
    }

    // ---- model turns ----

    /** Requests the next model turn, or ends the session when a budget is spent. */
    void requestModel(Step step) {
        SessionState state = step.requireState();
        Limits limits = state.getLimits();
        long tokens = state.getUsage().getInputTokens() + state.getUsage().getOutputTokens();
        if (limits.getMaxSteps() > 0 && state.getSteps() >= limits.getMaxSteps()) {
            end(
                    step,
                    ResultStatus.BUDGET_EXCEEDED,
                    null,
                    "step budget spent: " + state.getSteps() + " model turns taken, the limit is "
                            + limits.getMaxSteps());
            return;
        }
        if (limits.getMaxTokens() > 0 && tokens >= limits.getMaxTokens()) {
            end(
                    step,
                    ResultStatus.BUDGET_EXCEEDED,
                    null,
                    "token budget spent: " + tokens + " tokens used, the limit is " + limits.getMaxTokens());
            return;
        }
        if (state.getDeadline().toEpochMilli() > 0
                && step.now() >= state.getDeadline().toEpochMilli()) {
            end(step, ResultStatus.BUDGET_EXCEEDED, null, wallTimeSpent(state));
            return;
        }
        if (limits.getMaxCostMicros() > 0 && state.getUsage().getCostMicros() >= limits.getMaxCostMicros()) {
            end(
                    step,
                    ResultStatus.BUDGET_EXCEEDED,
                    null,
                    Pricing.costSpent(state.getUsage(), limits.getMaxCostMicros()));
            return;
        }
        if (limits.getMaxAgentCostMicrosPerDay() > 0) {
            String day = day(step.now());
            long spent = spending.spentOn(state.getAgent(), day);
            if (spent >= limits.getMaxAgentCostMicrosPerDay()) {
                end(
                        step,
                        ResultStatus.BUDGET_EXCEEDED,
                        null,
                        Pricing.agentDaySpent(state.getAgent(), day, spent, limits.getMaxAgentCostMicrosPerDay()));
                return;
            }
        }
        Optional<AgentDefinition> pinned = definition(step);
        if (pinned.isEmpty()) {
            return;
        }
        AgentDefinition definition = pinned.get();
        List<Message> history = step.model().history();
        List<Message> sent = ContextCompaction.view(state, history);
        OptionalLong compactThrough = ContextCompaction.due(definition, state, history, sent);
        if (compactThrough.isPresent()) {
            long through = compactThrough.getAsLong();
            sendModelCall(step, ContextCompaction.call(definition, state, history, through), through);
            return;
        }
        ModelCall call = new ModelCall(
                definition.getModel(),
                messages(definition, sent),
                definition.getTools(),
                state.getSteps(),
                definition.getScript(),
                false);
        sendModelCall(step, call, null);
    }

    /** Sends a model call, a turn or a summary ({@code compactsThrough} set), unless the request is too large. */
    private void sendModelCall(Step step, ModelCall call, Long compactsThrough) {
        String workId = nextWorkId(step.requireState());
        WorkRequest work = workRequest(step, Topics.MODEL_POOL, workId, call);
        byte[] encoded = WORK_SERDE.encode(work);
        int limit = maxWorkRequestBytes(Topics.MODEL_POOL);
        if (encoded.length > limit) {
            end(
                    step,
                    ResultStatus.FAILED,
                    null,
                    "the conversation is too large for one model request (" + encoded.length + " bytes > " + limit
                            + "); lower AGENTLOG_MAX_CONTENT_CHARS or the step budget, or turn on context compaction");
            return;
        }
        step.send(work, encoded);
        step.emit(new ModelRequested(
                workId,
                call.getTurn(),
                Instant.ofEpochMilli(step.now() + config.modelTimeout().toMillis()),
                compactsThrough));
    }

    /** Adds a priced model call to its agent's spend of the day ({@code agentlog.spend}), in the step's transaction. */
    void recordSpend(Step step, String workId, Usage usage) {
        if (usage == null || usage.getCostMicros() <= 0) {
            return;
        }
        SessionState state = step.requireState();
        String day = day(step.now());
        SpendRecorded spend = new SpendRecorded(
                state.getAgent(),
                day,
                step.sessionId(),
                workId,
                usage.getCostMicros(),
                Instant.ofEpochMilli(step.now()));
        step.message(
                Topics.SPEND.name(),
                Topics.spendKey(state.getAgent(), day),
                Topics.SPEND.valueSerde().serializer().serialize(Topics.SPEND.name(), spend));
    }

    /** The UTC day of an epoch-millisecond time, {@code yyyy-MM-dd}. */
    static String day(long epochMillis) {
        return LocalDate.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC)
                .toString();
    }

    /** The conversation as the model sees it: the definition's system prompt first, tool results in place. */
    static List<Message> messages(AgentDefinition definition, List<Message> history) {
        List<Message> out = new ArrayList<>(history.size() + 1);
        boolean hasSystem = !history.isEmpty() && history.getFirst().getRole() == Role.SYSTEM;
        if (!hasSystem && !definition.getSystemPrompt().isBlank()) {
            out.add(Message.newBuilder()
                    .setRole(Role.SYSTEM)
                    .setContent(definition.getSystemPrompt())
                    .build());
        }
        out.addAll(ConversationOrder.forModel(history));
        return out;
    }

    static String wallTimeSpent(SessionState state) {
        return "wall time limit of " + state.getLimits().getMaxWallTimeMs() + " ms reached";
    }

    // ---- tool calls ----

    /**
     * Sends a tool call to its worker pool. A call whose work item would not fit the work topic (a workspace copy
     * too large to send) is answered with the reason instead.
     */
    void requestTool(Step step, ToolSpec spec, ToolCall call) {
        SessionState state = step.requireState();
        String workId = nextWorkId(state);
        long timeoutMs = spec.getTimeoutMs() > 0 ? spec.getTimeoutMs() : DEFAULT_TOOL_TIMEOUT_MS;
        ToolInvocation invocation = new ToolInvocation(
                call.getId(),
                spec.getName(),
                call.getArguments(),
                spec.getSemantics(),
                step.sessionId() + "/" + workId,
                timeoutMs,
                spec.getWorkspace() ? WorkspaceFiles.snapshot(step.model()) : List.of());
        WorkRequest work = workRequest(step, spec.getPool(), workId, invocation);
        byte[] encoded = WORK_SERDE.encode(work);
        int limit = maxWorkRequestBytes(spec.getPool());
        if (encoded.length > limit) {
            completeTool(
                    step,
                    call.getId(),
                    spec.getName(),
                    null,
                    WorkOutcome.ERROR,
                    "not run: the call" + (spec.getWorkspace() ? " with its copy of the workspace" : "") + " is "
                            + encoded.length + " bytes, more than the " + limit + " a work item for pool "
                            + spec.getPool() + " may have"
                            + (spec.getWorkspace()
                                    ? "; delete files you no longer need (workspace: " + state.getWorkspaceFiles()
                                            + " files, " + state.getWorkspaceBytes() + " bytes)"
                                    : ""),
                    true,
                    null);
            return;
        }
        step.send(work, encoded);
        step.emit(new ToolRequested(
                workId,
                call.getId(),
                spec.getName(),
                call.getArguments(),
                spec.getPool(),
                Instant.ofEpochMilli(step.now() + timeoutMs)));
    }

    /** Records a tool call's outcome: a journal event whose content the next model turn sees (capped). */
    void completeTool(
            Step step,
            String toolCallId,
            String tool,
            String workId,
            WorkOutcome outcome,
            String content,
            boolean isError,
            Usage usage) {
        String shown = capped(step, content, "tool-" + sanitize(toolCallId));
        step.emit(new ToolCompleted(toolCallId, tool, outcome, shown, isError, workId, usage));
    }

    /** After a result: the next model turn once nothing is pending. */
    void advance(Step step) {
        SessionState state = step.requireState();
        if (!Transitions.isTerminal(state.getStatus()) && state.getPending().isEmpty()) {
            requestModel(step);
        }
    }

    // ---- capped texts ----

    /** A text as history and events keep it, and the file that keeps its full version, if it was cut. */
    record Capped(String shown, Optional<String> path, byte[] full) {

        void writeTo(Step step, WorkspaceFiles workspace) {
            path.ifPresent(p -> workspace.write(step, p, full));
        }
    }

    /** Caps a text at {@code limit} characters; the full text is kept in the workspace when it fits there. */
    Capped cap(Step step, String text, String name, int limit) {
        if (text.length() <= limit) {
            return new Capped(text, Optional.empty(), null);
        }
        String path = OUTPUTS_DIR + name + ".txt";
        byte[] full = text.getBytes(StandardCharsets.UTF_8);
        boolean fits = workspace
                .refusal(step.model(), WorkspaceFiles.normalize(path), full.length)
                .isEmpty();
        String where = fits ? "the full text is in workspace file " + path : "the full text was too large to keep";
        String shown = text.substring(0, limit) + "\n[truncated: " + (text.length() - limit) + " more characters; "
                + where + "]";
        return new Capped(shown, fits ? Optional.of(path) : Optional.empty(), full);
    }

    /** {@link #cap} with the content limit, writing the full text at once. */
    String capped(Step step, String text, String name) {
        Capped capped = cap(step, text, name, config.maxContentChars());
        capped.writeTo(step, workspace);
        return capped.shown();
    }

    String cappedOutput(Step step, String text) {
        Capped capped = cap(step, text, "output", config.maxContentChars() * EngineConfig.OUTPUT_FACTOR);
        capped.writeTo(step, workspace);
        return capped.shown();
    }

    // ---- ending ----

    /** Ends the session: the terminal event and the one result record. */
    void end(Step step, ResultStatus status, String output, String error) {
        // a child answers its parent, a parent cancels its children, while the pending work is still in the state
        SessionState before = SessionState.newBuilder(step.requireState()).build();
        SubAgents.onEnd(step, before, status, output, error);
        WorkCancels.onEnd(step, before, "session " + step.sessionId() + " ended " + status);
        step.emit(new SessionEnded(status, output, error));
        SessionState state = step.requireState();
        step.finish(SessionResult.newBuilder()
                .setSessionId(state.getSessionId())
                .setStatus(status)
                .setOutput(output)
                .setError(error)
                .setAgent(state.getAgent())
                .setAgentVersion(state.getAgentVersion() > 0 ? state.getAgentVersion() : null)
                .setParentSessionId(state.getParentSessionId())
                .setSteps(state.getSteps())
                .setToolCalls(state.getToolCalls())
                .setUsage(Usage.newBuilder(state.getUsage()).build())
                .setStartedAt(state.getStartedAt())
                .setFinishedAt(Instant.ofEpochMilli(step.now()))
                .build());
        if (status == ResultStatus.COMPLETED) {
            log.info(
                    "Session {} completed after {} model turns and {} tool calls",
                    state.getSessionId(),
                    state.getSteps(),
                    state.getToolCalls());
        } else {
            log.info("Session {} ended {}: {}", state.getSessionId(), status, error);
        }
    }

    // ---- helpers ----

    /** Largest work item the engine sends to a pool: under its work topic's record limit, with room to spare. */
    int maxWorkRequestBytes(String pool) {
        int topicLimit = pools.maxRecordBytes(pool);
        return topicLimit - Math.min(RECORD_MARGIN_BYTES, topicLimit / 8);
    }

    private static WorkRequest workRequest(Step step, String pool, String workId, SpecificRecord request) {
        return new WorkRequest(workId, step.sessionId(), pool, request, Instant.ofEpochMilli(step.now()));
    }

    static String nextWorkId(SessionState state) {
        return "w" + state.getNextWorkSeq();
    }

    static String sanitize(String id) {
        return id.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
