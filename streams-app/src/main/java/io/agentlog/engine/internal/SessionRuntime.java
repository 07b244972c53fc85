package io.agentlog.engine.internal;

import io.agentlog.engine.EngineConfig;
import io.agentlog.engine.EngineTopology;
import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.SessionStatus;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkKind;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mechanics every handler shares: loading and saving a session, appending to its history,
 * emitting journal events, requesting model turns and tool calls, timers, and ending a session.
 * All writes go to the processor's stores and sinks, so they commit in one transaction.
 */
final class SessionRuntime {

    private static final Logger log = LoggerFactory.getLogger(SessionRuntime.class);
    private static final String SESSION_TIMER = "session";
    static final int OUTPUT_FACTOR = 8;

    /**
     * Largest model request the engine sends: under the work topics' record limit with room for
     * headers and batch overhead. A longer conversation fails its session clearly instead of
     * failing the producer.
     */
    static final int MAX_WORK_REQUEST_BYTES = Topics.MAX_WORK_RECORD_BYTES - 1024 * 1024;

    private static final AvroSerde<WorkRequest> WORK_SERDE = AvroSerde.of(WorkRequest.class);

    private final ProcessorContext<String, SpecificRecord> context;
    private final EngineConfig config;
    private final WorkPools pools;
    private final KeyValueStore<String, SessionState> sessions;
    private final KeyValueStore<String, Message> history;
    private final KeyValueStore<String, String> timers;
    private final Workspace workspace;
    private final AgentCatalog agents;

    SessionRuntime(ProcessorContext<String, SpecificRecord> context, EngineConfig config, WorkPools pools) {
        this.context = context;
        this.config = config;
        this.pools = pools;
        this.sessions = context.getStateStore(EngineTopology.SESSIONS_STORE);
        this.history = context.getStateStore(EngineTopology.HISTORY_STORE);
        this.timers = context.getStateStore(EngineTopology.TIMERS_STORE);
        this.workspace = new Workspace(context.getStateStore(EngineTopology.WORKSPACE_STORE), config);
        this.agents = new AgentCatalog(context.getStateStore(EngineTopology.AGENTS_STORE));
    }

    EngineConfig config() {
        return config;
    }

    AgentCatalog agents() {
        return agents;
    }

    Workspace workspace() {
        return workspace;
    }

    long now() {
        return context.currentSystemTimeMs();
    }

    Optional<SessionState> load(String sessionId) {
        return Optional.ofNullable(sessions.get(sessionId));
    }

    void save(SessionState state) {
        sessions.put(state.getSessionId(), state);
    }

    // ---- journal and history ----

    void emit(SessionState state, SpecificRecord payload) {
        long seq = state.getNextEventSeq();
        state.setNextEventSeq(seq + 1);
        SessionEvent event = new SessionEvent(state.getSessionId(), seq, Instant.ofEpochMilli(now()), payload);
        context.forward(new Record<>(state.getSessionId(), (SpecificRecord) event, now()), EngineTopology.EVENTS_SINK);
    }

    void append(SessionState state, Message message) {
        long seq = state.getHistorySize();
        history.put(Keys.history(state.getSessionId(), seq), message);
        state.setHistorySize(seq + 1);
    }

    List<Message> history(String sessionId) {
        List<Message> messages = new ArrayList<>();
        try (KeyValueIterator<String, Message> it =
                history.prefixScan(Keys.historyPrefix(sessionId), new StringSerializer())) {
            it.forEachRemaining(entry -> messages.add(entry.value));
        }
        return messages;
    }

    /** The text as it goes into history and events: capped, with the full text kept in the workspace. */
    String capped(SessionState state, String text, String name) {
        return capped(state, text, name, config.maxContentChars());
    }

    /** The final answer is allowed {@value #OUTPUT_FACTOR} times the content cap. */
    String cappedOutput(SessionState state, String text) {
        return capped(state, text, "output", config.maxContentChars() * OUTPUT_FACTOR);
    }

    private String capped(SessionState state, String text, String name, int limit) {
        if (text.length() <= limit) {
            return text;
        }
        String path = ".agentlog/outputs/" + name + ".txt";
        String where = workspace
                        .write(this, state, path, text.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .isEmpty()
                ? "the full text is in workspace file " + path
                : "the full text was too large to keep";
        return text.substring(0, limit) + "\n[truncated: " + (text.length() - limit) + " more characters; " + where
                + "]";
    }

    // ---- model turns ----

    /** Requests the next model turn, or ends the session when a budget is spent. */
    void requestModel(SessionState state) {
        var limits = state.getLimits();
        long tokens = state.getUsage().getInputTokens() + state.getUsage().getOutputTokens();
        if (limits.getMaxSteps() > 0 && state.getSteps() >= limits.getMaxSteps()) {
            end(
                    state,
                    ResultStatus.BUDGET_EXCEEDED,
                    null,
                    "step budget spent: " + state.getSteps() + " model turns taken, the limit is "
                            + limits.getMaxSteps());
            return;
        }
        if (limits.getMaxTokens() > 0 && tokens >= limits.getMaxTokens()) {
            end(
                    state,
                    ResultStatus.BUDGET_EXCEEDED,
                    null,
                    "token budget spent: " + tokens + " tokens used, the limit is " + limits.getMaxTokens());
            return;
        }
        if (state.getDeadline().toEpochMilli() > 0
                && now() >= state.getDeadline().toEpochMilli()) {
            end(
                    state,
                    ResultStatus.BUDGET_EXCEEDED,
                    null,
                    "wall time limit of " + limits.getMaxWallTimeMs() + " ms reached");
            return;
        }
        AgentDefinition definition = state.getDefinition();
        String workId = nextWorkId(state);
        int turn = state.getSteps();
        ModelCall call = new ModelCall(
                definition.getModel(),
                ConversationOrder.forModel(history(state.getSessionId())),
                definition.getTools(),
                turn,
                definition.getScript());
        WorkRequest work = workRequest(state, Topics.MODEL_POOL, workId, call);
        int size = WORK_SERDE.encode(work).length;
        if (size > MAX_WORK_REQUEST_BYTES) {
            end(
                    state,
                    ResultStatus.FAILED,
                    null,
                    "the conversation is too large for one model request (" + size + " bytes > "
                            + MAX_WORK_REQUEST_BYTES + "); lower AGENTLOG_MAX_CONTENT_CHARS or the step budget");
            return;
        }
        forward(EngineTopology.WORK_SINK, state.getSessionId(), work);
        addPending(
                state,
                workId,
                WorkKind.MODEL,
                null,
                null,
                now() + config.modelTimeout().toMillis());
        state.setSteps(turn + 1);
        Transitions.move(state, SessionStatus.AWAITING_MODEL);
        emit(state, new ModelRequested(workId, turn, Instant.EPOCH));
    }

    // ---- tool calls ----

    /** Sends a tool call to its worker pool. */
    void requestTool(SessionState state, ToolSpec spec, String toolCallId, String arguments) {
        String workId = nextWorkId(state);
        ToolInvocation invocation = new ToolInvocation(
                toolCallId,
                spec.getName(),
                arguments,
                spec.getSemantics(),
                state.getSessionId() + "/" + workId,
                spec.getTimeoutMs(),
                spec.getWorkspace() ? workspace.snapshot(state.getSessionId()) : List.of());
        forward(EngineTopology.WORK_SINK, state.getSessionId(), workRequest(state, spec.getPool(), workId, invocation));
        addPending(state, workId, WorkKind.TOOL, toolCallId, spec.getName(), now() + spec.getTimeoutMs());
        state.setToolCalls(state.getToolCalls() + 1);
        emit(state, new ToolRequested(workId, toolCallId, spec.getName(), arguments, spec.getPool(), Instant.EPOCH));
    }

    /** Records a tool call's outcome: a journal event and the TOOL message the next model turn sees. */
    void completeTool(
            SessionState state, String toolCallId, String tool, WorkOutcome outcome, String content, boolean isError) {
        String shown = capped(state, content, "tool-" + sanitize(toolCallId));
        emit(state, new ToolCompleted(toolCallId, tool, outcome, shown, isError, null, null));
        append(
                state,
                Message.newBuilder()
                        .setRole(Role.TOOL)
                        .setContent(shown)
                        .setToolCallId(toolCallId)
                        .setToolName(tool)
                        .setIsError(isError)
                        .build());
    }

    /** After a result: the next model turn once nothing is pending. */
    void advance(SessionState state) {
        if (Transitions.isTerminal(state.getStatus())) {
            return;
        }
        if (state.getPending().isEmpty()) {
            requestModel(state);
        } else {
            Transitions.move(state, SessionStatus.AWAITING_TOOLS);
        }
    }

    boolean poolExists(String pool) {
        return Topics.ENGINE_POOL.equals(pool) || pools.exists(pool);
    }

    // ---- pending work and timers ----

    Optional<PendingWork> takePending(SessionState state, String workId) {
        for (PendingWork pending : state.getPending()) {
            if (pending.getWorkId().equals(workId)) {
                List<PendingWork> rest = new ArrayList<>(state.getPending());
                rest.remove(pending);
                state.setPending(rest);
                timers.delete(Keys.timer(pending.getDeadline().toEpochMilli(), state.getSessionId(), workId));
                return Optional.of(pending);
            }
        }
        return Optional.empty();
    }

    void scheduleSessionDeadline(SessionState state) {
        long deadline = state.getDeadline().toEpochMilli();
        if (deadline > 0) {
            timers.put(Keys.timer(deadline, state.getSessionId(), SESSION_TIMER), state.getSessionId());
        }
    }

    /** Timers due now, removed from the store: [sessionId, id] pairs. */
    List<String[]> takeDueTimers() {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, String> it = timers.range(Keys.timer(0, "", ""), Keys.timersUpTo(now()))) {
            it.forEachRemaining(entry -> keys.add(entry.key));
        }
        keys.forEach(timers::delete);
        return keys.stream().map(Keys::timerParts).toList();
    }

    static boolean isSessionTimer(String id) {
        return SESSION_TIMER.equals(id);
    }

    // ---- ending ----

    void end(SessionState state, ResultStatus status, String output, String error) {
        for (PendingWork pending : List.copyOf(state.getPending())) {
            takePending(state, pending.getWorkId());
        }
        if (state.getDeadline().toEpochMilli() > 0) {
            timers.delete(Keys.timer(state.getDeadline().toEpochMilli(), state.getSessionId(), SESSION_TIMER));
        }
        Transitions.move(state, Transitions.of(status));
        emit(state, new SessionEnded(status, output, error));
        AgentDefinition definition = state.getDefinition();
        SessionResult result = SessionResult.newBuilder()
                .setSessionId(state.getSessionId())
                .setStatus(status)
                .setOutput(output)
                .setError(error)
                .setAgent(state.getAgent())
                .setAgentVersion(definition == null ? null : definition.getVersion())
                .setParentSessionId(state.getParentSessionId())
                .setSteps(state.getSteps())
                .setToolCalls(state.getToolCalls())
                .setUsage(Usage.newBuilder(state.getUsage()).build())
                .setStartedAt(state.getStartedAt())
                .setFinishedAt(Instant.ofEpochMilli(now()))
                .build();
        context.forward(
                new Record<>(state.getSessionId(), (SpecificRecord) result, now()), EngineTopology.RESULTS_SINK);
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

    // ---- forwarding ----

    void forward(String sink, String key, SpecificRecord value) {
        context.forward(new Record<>(key, value, now()), sink);
    }

    /** Writes a record the engine cannot use to the DLQ, with the reason and its origin in headers. */
    void deadLetter(String key, SpecificRecord value, String reason) {
        RecordMetadata origin = context.recordMetadata().orElse(null);
        var headers = DlqHeaders.of(
                reason,
                "engine",
                origin == null ? "" : origin.topic(),
                origin == null ? -1 : origin.partition(),
                origin == null ? -1 : origin.offset());
        context.forward(new Record<>(key, value, now(), headers), EngineTopology.DLQ_SINK);
        log.info("Rejected a record for session {} to {}: {}", key, Topics.DLQ.name(), reason);
    }

    private WorkRequest workRequest(SessionState state, String pool, String workId, SpecificRecord request) {
        return new WorkRequest(workId, state.getSessionId(), pool, request, Instant.ofEpochMilli(now()));
    }

    private void addPending(
            SessionState state, String workId, WorkKind kind, String toolCallId, String tool, long deadline) {
        List<PendingWork> pending = new ArrayList<>(state.getPending());
        pending.add(new PendingWork(
                workId, kind, toolCallId, tool, Instant.ofEpochMilli(now()), Instant.ofEpochMilli(deadline)));
        state.setPending(pending);
        timers.put(Keys.timer(deadline, state.getSessionId(), workId), state.getSessionId());
    }

    private static String nextWorkId(SessionState state) {
        int seq = state.getNextWorkSeq();
        state.setNextWorkSeq(seq + 1);
        return "w" + seq;
    }

    static String sanitize(String id) {
        return id.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
