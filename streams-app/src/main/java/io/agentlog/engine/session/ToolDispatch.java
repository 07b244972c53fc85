package io.agentlog.engine.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.HumanAsked;
import io.agentlog.schemas.avro.SleepStarted;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.WorkOutcome;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Where a tool call of the model goes: run inline now (the workspace tools), sent to its worker pool, parked until a
 * human approves it ({@code requiresApproval}) or answers it ({@code ask_human}) or until a time ({@code sleep}), or
 * answered with the reason it cannot run. A call a human approved
 * comes back through {@link #approved}, with the arguments it runs with.
 */
final class ToolDispatch {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The longest a sleep call may wait (a session's own wall-time budget may end it sooner). */
    static final Duration MAX_SLEEP = Duration.ofDays(365);

    private final Turns turns;
    private final InlineTools inline;

    ToolDispatch(Turns turns) {
        this.turns = turns;
        this.inline = new InlineTools(turns.workspace());
    }

    /** A call as the model made it: a tool that requires approval waits for a human. */
    void dispatch(Step step, AgentDefinition definition, ToolCall call) {
        run(step, definition, call, false);
    }

    /** A call a human approved: it runs now, with {@code call}'s arguments (the model's, or edited ones). */
    void approved(Step step, AgentDefinition definition, ToolCall call) {
        run(step, definition, call, true);
    }

    /** Answers the call with an error result the model sees, without running it. */
    void refuse(Step step, ToolCall call, String reason) {
        turns.completeTool(step, call.getId(), call.getName(), null, WorkOutcome.ERROR, reason, true, null);
    }

    /** The call's arguments as a JSON object, or empty when they are none. */
    static Optional<ObjectNode> arguments(String arguments) {
        try {
            JsonNode parsed = JSON.readTree(arguments.isBlank() ? "{}" : arguments);
            return parsed instanceof ObjectNode object ? Optional.of(object) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private void run(Step step, AgentDefinition definition, ToolCall call, boolean approved) {
        Optional<ToolSpec> spec = definition.getTools().stream()
                .filter(t -> t.getName().equals(call.getName()))
                .findFirst();
        if (spec.isEmpty()) {
            refuse(
                    step,
                    call,
                    "unknown tool '" + call.getName() + "'; this agent's tools are "
                            + TaskDecision.toolNames(definition));
            return;
        }
        Optional<ObjectNode> args = arguments(call.getArguments());
        if (args.isEmpty()) {
            refuse(
                    step,
                    call,
                    "invalid arguments for " + call.getName() + ": expected a JSON object, got '"
                            + abbreviate(call.getArguments()) + "'");
            return;
        }
        ToolSpec tool = spec.get();
        if (tool.getRequiresApproval() && !approved) {
            // parked: no timer, no thread; an APPROVE or DENY on agentlog.control takes it on (ControlDecision)
            step.emit(new ApprovalRequested(call.getId(), call.getName(), call.getArguments()));
            return;
        }
        if (Topics.ENGINE_POOL.equals(tool.getPool())) {
            switch (tool.getName()) {
                case BuiltinTools.ASK_HUMAN -> ask(step, call, args.get());
                case BuiltinTools.SPAWN_AGENT -> SubAgents.spawn(step, turns, tool, call, args.get());
                case BuiltinTools.SLEEP -> sleep(step, call, args.get());
                default -> runInline(step, call, args.get());
            }
            return;
        }
        if (!turns.poolExists(tool.getPool())) {
            refuse(
                    step,
                    call,
                    "not run: pool '" + tool.getPool() + "' of tool " + tool.getName() + " has no work topic");
            return;
        }
        turns.requestTool(step, tool, call);
    }

    /** A workspace tool: it runs now, its result in the same step. */
    private void runInline(Step step, ToolCall call, ObjectNode args) {
        step.emit(new ToolRequested(
                null, call.getId(), call.getName(), call.getArguments(), Topics.ENGINE_POOL, Instant.EPOCH));
        InlineTools.Output output = inline.run(step, call.getName(), args);
        turns.completeTool(
                step,
                call.getId(),
                call.getName(),
                null,
                output.isError() ? WorkOutcome.ERROR : WorkOutcome.OK,
                output.content(),
                output.isError(),
                null);
    }

    /** Parks the call until a human answers on the control topic (ControlDecision); no timer but the session's. */
    private void ask(Step step, ToolCall call, ObjectNode args) {
        JsonNode question = args.get("question");
        if (question == null || !question.isTextual() || question.asText().isBlank()) {
            refuse(step, call, "ask_human needs a non-empty string 'question'");
            return;
        }
        String shown = turns.capped(step, question.asText(), "question-" + Turns.sanitize(call.getId()));
        step.emit(new HumanAsked(call.getId(), shown));
    }

    /**
     * Parks the call until a time; its timer (the timers store, so it fires after any restart) completes it. Longer
     * than the session's wall-time budget allows, the session ends BUDGET_EXCEEDED at its deadline instead.
     */
    private void sleep(Step step, ToolCall call, ObjectNode args) {
        JsonNode seconds = args.get("seconds");
        JsonNode until = args.get("until");
        long due;
        if (seconds != null && until == null && seconds.canConvertToLong() && seconds.asLong() >= 1) {
            if (seconds.asLong() > MAX_SLEEP.toSeconds()) {
                refuse(
                        step,
                        call,
                        "sleep: at most " + MAX_SLEEP.toSeconds() + " seconds (" + MAX_SLEEP.toDays()
                                + " days), but was " + seconds.asLong());
                return;
            }
            due = step.now() + seconds.asLong() * 1000;
        } else if (until != null && seconds == null && until.isTextual()) {
            try {
                due = Instant.parse(until.asText()).toEpochMilli();
            } catch (DateTimeParseException e) {
                refuse(
                        step,
                        call,
                        "sleep: 'until' must be an ISO-8601 time with a zone, like 2026-12-01T09:00:00Z," + " but was '"
                                + abbreviate(until.asText()) + "'");
                return;
            }
            if (due - step.now() > MAX_SLEEP.toMillis()) {
                refuse(
                        step,
                        call,
                        "sleep: at most " + MAX_SLEEP.toDays() + " days ahead, but 'until' was " + until.asText());
                return;
            }
        } else {
            refuse(step, call, "sleep needs either 'seconds' (an integer, at least 1) or 'until' (an ISO-8601 time)");
            return;
        }
        step.emit(new SleepStarted(call.getId(), Instant.ofEpochMilli(Math.max(due, step.now()))));
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
