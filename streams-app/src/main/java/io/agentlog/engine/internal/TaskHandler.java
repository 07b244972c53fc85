package io.agentlog.engine.internal;

import io.agentlog.engine.EngineTopology;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.SessionStatus;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.Usage;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code TaskSubmitted}: starts a session pinned to an agent definition and requests its first
 * model turn. A keyless task is given a session id (derived from its idempotency key when it has
 * one) and written back keyed, so it lands on its session's partition. A task for a session id that
 * exists is a duplicate and is dropped: one idempotency key, one session.
 */
final class TaskHandler {

    private static final Logger log = LoggerFactory.getLogger(TaskHandler.class);

    private final SessionRuntime runtime;

    TaskHandler(SessionRuntime runtime) {
        this.runtime = runtime;
    }

    void handle(String key, TaskSubmitted task) {
        if (key == null || key.isBlank()) {
            rekey(task);
            return;
        }
        if (!task.getSessionId().isBlank() && !task.getSessionId().equals(key)) {
            runtime.deadLetter(
                    key,
                    task,
                    "task record key '" + key + "' and its sessionId '" + task.getSessionId()
                            + "' differ; leave sessionId empty or equal to the key");
            return;
        }
        if (!SessionIds.VALID.matcher(key).matches()) {
            runtime.deadLetter(
                    key, task, "session id '" + key + "' is invalid: it must match " + SessionIds.VALID.pattern());
            return;
        }
        if (runtime.load(key).isPresent()) {
            log.info(
                    "Dropping a duplicate task for existing session {} (idempotency key {})",
                    key,
                    task.getIdempotencyKey());
            return;
        }
        start(key, task);
    }

    private void rekey(TaskSubmitted task) {
        String sessionId;
        try {
            sessionId = SessionIds.of(task.getSessionId(), task.getIdempotencyKey());
        } catch (IllegalArgumentException e) {
            runtime.deadLetter(null, task, e.getMessage());
            return;
        }
        task.setSessionId(sessionId);
        runtime.forward(EngineTopology.TASKS_SINK, sessionId, task);
    }

    private void start(String sessionId, TaskSubmitted task) {
        Optional<AgentDefinition> found = runtime.agents().find(task.getAgent(), task.getAgentVersion());
        SessionState state = SessionState.newBuilder()
                .setSessionId(sessionId)
                .setStatus(SessionStatus.AWAITING_MODEL)
                .setDefinition(found.orElse(null))
                .setLimits(found.map(d -> effectiveLimits(d.getLimits(), task.getBudget()))
                        .orElseGet(Limits::new))
                .setParentSessionId(task.getParentSessionId())
                .setIdempotencyKey(task.getIdempotencyKey())
                .setUsage(new Usage(0L, 0L, 0L))
                .setStartedAt(Instant.ofEpochMilli(runtime.now()))
                .setAgent(task.getAgent())
                .setDeadline(Instant.EPOCH)
                .build();
        if (found.isEmpty()) {
            String version = task.getAgentVersion() == null ? "" : " version " + task.getAgentVersion();
            runtime.end(
                    state,
                    ResultStatus.FAILED,
                    null,
                    "unknown agent '" + task.getAgent() + "'" + version
                            + ": no such definition on agentlog.agents; register it with `agentlog agents put FILE`");
            runtime.save(state);
            return;
        }
        AgentDefinition definition = found.get();
        String input = runtime.capped(state, task.getInput(), "input");
        runtime.emit(
                state,
                new SessionStarted(
                        definition.getName(),
                        definition.getVersion(),
                        input,
                        task.getParentSessionId(),
                        null,
                        Instant.EPOCH,
                        null,
                        Instant.EPOCH));
        Optional<String> badTool = definition.getTools().stream()
                .filter(t -> !runtime.poolExists(t.getPool()))
                .map(ToolSpec::getName)
                .findFirst();
        if (badTool.isPresent()) {
            ToolSpec tool = definition.getTools().stream()
                    .filter(t -> t.getName().equals(badTool.get()))
                    .findFirst()
                    .orElseThrow();
            runtime.end(
                    state,
                    ResultStatus.FAILED,
                    null,
                    "agent " + definition.getName() + "@" + definition.getVersion()
                            + " uses tool '" + tool.getName() + "' of pool '" + tool.getPool()
                            + "', which has no topic agentlog.work." + tool.getPool()
                            + " (create it and start workers for it)");
            runtime.save(state);
            return;
        }
        long maxWall = state.getLimits().getMaxWallTimeMs();
        if (maxWall > 0) {
            state.setDeadline(Instant.ofEpochMilli(runtime.now() + maxWall));
            runtime.scheduleSessionDeadline(state);
        }
        if (!definition.getSystemPrompt().isBlank()) {
            runtime.append(
                    state,
                    Message.newBuilder()
                            .setRole(Role.SYSTEM)
                            .setContent(definition.getSystemPrompt())
                            .build());
        }
        runtime.append(
                state, Message.newBuilder().setRole(Role.USER).setContent(input).build());
        log.info("Session {} started: agent {}@{}", sessionId, definition.getName(), definition.getVersion());
        runtime.requestModel(state);
        runtime.save(state);
    }

    /** The definition's limits, each lowered by the task's budget where it sets one. */
    static Limits effectiveLimits(Limits limits, Budget budget) {
        Limits out = Limits.newBuilder(limits).build();
        if (budget == null) {
            return out;
        }
        if (budget.getMaxSteps() != null) {
            out.setMaxSteps((int) lower(limits.getMaxSteps(), budget.getMaxSteps()));
        }
        if (budget.getMaxTokens() != null) {
            out.setMaxTokens(lower(limits.getMaxTokens(), budget.getMaxTokens()));
        }
        if (budget.getMaxWallTimeMs() != null) {
            out.setMaxWallTimeMs(lower(limits.getMaxWallTimeMs(), budget.getMaxWallTimeMs()));
        }
        return out;
    }

    /** The lower of two limits where 0 means none. */
    private static long lower(long limit, long requested) {
        if (requested <= 0) {
            return limit;
        }
        return limit <= 0 ? requested : Math.min(limit, requested);
    }

    static List<String> toolNames(AgentDefinition definition) {
        return definition.getTools().stream().map(ToolSpec::getName).toList();
    }
}
