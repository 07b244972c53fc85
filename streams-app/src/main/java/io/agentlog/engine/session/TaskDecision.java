package io.agentlog.engine.session;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolSpec;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code TaskSubmitted}: starts a session pinned to an agent definition ({@code name@version}, told apart from a
 * replacement by its {@code createdAt}) and requests its first model turn. A task for a session that exists is a
 * duplicate and changes nothing: one idempotency key, one session. An unknown agent or a tool without a work topic
 * starts and at once ends the session FAILED, so the submitter gets a result that says why.
 */
final class TaskDecision {

    private static final Logger log = LoggerFactory.getLogger(TaskDecision.class);

    private final Turns turns;
    private final ForkDecision forks;

    TaskDecision(Turns turns, ForkDecision forks) {
        this.turns = turns;
        this.forks = forks;
    }

    void decide(Step step, TaskSubmitted task) {
        if (step.state().isPresent()) {
            log.info(
                    "Dropping a duplicate task for existing session {} (idempotency key {})",
                    step.sessionId(),
                    task.getIdempotencyKey());
            return;
        }
        if (task.getFork() != null) {
            forks.decide(step, task)
                    .ifPresent(problem -> startFailed(
                            step,
                            task,
                            "cannot fork session " + task.getFork().getSourceSessionId() + " at seq "
                                    + task.getFork().getAtSeq() + ": " + problem));
            return;
        }
        Optional<AgentDefinition> found = turns.definitions().find(task.getAgent(), task.getAgentVersion());
        Limits limits =
                found.map(d -> effectiveLimits(d.getLimits(), task.getBudget())).orElseGet(Limits::new);
        long deadline = found.isPresent() && limits.getMaxWallTimeMs() > 0 ? step.now() + limits.getMaxWallTimeMs() : 0;
        // the input as history keeps it; the full text goes to the workspace after SessionStarted
        Turns.Capped input =
                turns.cap(step, task.getInput(), "input", turns.config().maxContentChars());
        step.emit(new SessionStarted(
                task.getAgent(),
                found.map(AgentDefinition::getVersion).orElse(0),
                input.shown(),
                task.getParentSessionId(),
                limits,
                Instant.ofEpochMilli(deadline),
                task.getIdempotencyKey(),
                found.map(AgentDefinition::getCreatedAt).orElse(Instant.EPOCH),
                task.getParentWorkId(),
                task.getDepth()));
        input.writeTo(step, turns.workspace());
        if (found.isEmpty()) {
            String version = task.getAgentVersion() == null ? "" : " version " + task.getAgentVersion();
            turns.end(
                    step,
                    ResultStatus.FAILED,
                    null,
                    "unknown agent '" + task.getAgent() + "'" + version + ": no such definition on "
                            + Topics.AGENTS.name() + "; register it with `agentlog agents put FILE`");
            return;
        }
        AgentDefinition definition = found.get();
        Optional<ToolSpec> badTool = definition.getTools().stream()
                .filter(t -> !turns.poolExists(t.getPool()))
                .findFirst();
        if (badTool.isPresent()) {
            ToolSpec tool = badTool.get();
            turns.end(
                    step,
                    ResultStatus.FAILED,
                    null,
                    "agent " + definition.getName() + "@" + definition.getVersion() + " uses tool '" + tool.getName()
                            + "' of pool '" + tool.getPool() + "', which has no topic agentlog.work." + tool.getPool()
                            + " (create it and start workers for it)");
            return;
        }
        log.info("Session {} started: agent {}@{}", step.sessionId(), definition.getName(), definition.getVersion());
        turns.requestModel(step);
    }

    /** Starts and at once ends a session FAILED (its start could not be decided): only the input, cut short. */
    void startFailed(Step step, TaskSubmitted task, String reason) {
        int limit = turns.config().maxContentChars();
        String input = task.getInput().length() <= limit
                ? task.getInput()
                : task.getInput().substring(0, limit) + "\n[truncated]";
        step.emit(new SessionStarted(
                task.getAgent(),
                0,
                input,
                task.getParentSessionId(),
                new Limits(),
                Instant.EPOCH,
                task.getIdempotencyKey(),
                Instant.EPOCH,
                task.getParentWorkId(),
                task.getDepth()));
        turns.end(step, ResultStatus.FAILED, null, reason);
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
        if (budget.getMaxCostMicros() != null) {
            out.setMaxCostMicros(lower(limits.getMaxCostMicros(), budget.getMaxCostMicros()));
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
