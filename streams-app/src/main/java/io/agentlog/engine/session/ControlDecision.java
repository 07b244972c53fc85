package io.agentlog.engine.session;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ApprovalDecided;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.HumanAnswered;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.UserMessageAdded;
import io.agentlog.schemas.avro.WorkKind;
import io.agentlog.schemas.avro.WorkOutcome;
import java.util.List;
import java.util.Optional;

/**
 * {@code ControlCommand}: cancel ends the session (late results of its pending work are then dropped); steer adds
 * a user message that the next model turn sees; approve runs a tool call that waited for approval (with edited
 * arguments, if given), deny answers it with the human's message instead; answer is the result of an
 * {@code ask_human} call. Commands that cannot apply (unknown or
 * ended session, no such call awaiting approval, edited arguments that are no JSON object) go to the DLQ with the
 * reason.
 */
final class ControlDecision {

    private final Turns turns;
    private final ToolDispatch tools;

    ControlDecision(Turns turns, ToolDispatch tools) {
        this.turns = turns;
        this.tools = tools;
    }

    void decide(Step step, ControlCommand command) {
        String key = step.sessionId();
        Optional<SessionState> loaded = step.state();
        if (loaded.isEmpty()) {
            step.reject(command.getType() + " for unknown session " + key);
            return;
        }
        SessionState state = loaded.get();
        if (Transitions.isTerminal(state.getStatus())) {
            step.reject(command.getType() + " for session " + key + ", which already ended " + state.getStatus());
            return;
        }
        switch (command.getType()) {
            case CANCEL ->
                turns.end(
                        step,
                        ResultStatus.CANCELLED,
                        null,
                        "cancelled" + (command.getMessage() == null ? "" : ": " + command.getMessage()));
            case STEER -> {
                String text = command.getMessage() == null ? "" : command.getMessage();
                step.emit(new UserMessageAdded(turns.capped(step, text, "steer-" + state.getNextEventSeq())));
            }
            case APPROVE, DENY ->
                waitingCall(step, state, command, WorkKind.APPROVAL, "awaiting approval")
                        .ifPresent(call -> {
                            if (command.getType() == ControlType.APPROVE) {
                                approve(step, call, command.getArguments());
                            } else {
                                deny(step, call, command.getMessage());
                            }
                            turns.advance(step);
                        });
            case ANSWER ->
                waitingCall(step, state, command, WorkKind.QUESTION, "waiting for an answer")
                        .ifPresent(call -> {
                            answer(step, call, command.getMessage());
                            turns.advance(step);
                        });
            case RESUME ->
                step.reject("RESUME for session " + key + ": the session is running (" + state.getStatus() + ")");
        }
    }

    /**
     * The call of this kind the command names, or the only one waiting when it names none; empty (and the command to
     * the DLQ with the reason) when none waits, several wait and none is named, or the named one is not waiting.
     */
    private static Optional<PendingWork> waitingCall(
            Step step, SessionState state, ControlCommand command, WorkKind kind, String waitingFor) {
        String key = step.sessionId();
        List<PendingWork> waiting =
                state.getPending().stream().filter(p -> p.getKind() == kind).toList();
        List<String> ids = waiting.stream().map(PendingWork::getToolCallId).toList();
        if (waiting.isEmpty()) {
            step.reject(command.getType() + " for session " + key + ": no tool call is " + waitingFor);
            return Optional.empty();
        }
        if (command.getToolCallId() == null) {
            if (waiting.size() > 1) {
                step.reject(command.getType() + " for session " + key + " names no tool call, but " + waiting.size()
                        + " are " + waitingFor + ": " + ids);
                return Optional.empty();
            }
            return Optional.of(waiting.getFirst());
        }
        Optional<PendingWork> named = waiting.stream()
                .filter(p -> p.getToolCallId().equals(command.getToolCallId()))
                .findFirst();
        if (named.isEmpty()) {
            step.reject(command.getType() + " for session " + key + ": tool call " + command.getToolCallId()
                    + " is not " + waitingFor + "; these are: " + ids);
        }
        return named;
    }

    private void answer(Step step, PendingWork call, String text) {
        String answer = text == null ? "" : text;
        String shown = turns.capped(step, answer, "answer-" + Turns.sanitize(call.getToolCallId()));
        step.emit(new HumanAnswered(call.getToolCallId(), shown));
        turns.completeTool(step, call.getToolCallId(), call.getTool(), null, WorkOutcome.OK, shown, false, null);
    }

    private void approve(Step step, PendingWork call, String edited) {
        if (edited != null && ToolDispatch.arguments(edited).isEmpty()) {
            step.reject("APPROVE for session " + step.sessionId() + ", tool call " + call.getToolCallId()
                    + ": the edited arguments are no JSON object");
            return;
        }
        Optional<AgentDefinition> definition = turns.definition(step);
        if (definition.isEmpty()) {
            return; // the session ended FAILED: its definition is gone
        }
        step.emit(new ApprovalDecided(call.getToolCallId(), call.getTool(), true, edited, null));
        String arguments = edited != null ? edited : call.getArguments();
        tools.approved(step, definition.get(), new ToolCall(call.getToolCallId(), call.getTool(), arguments));
    }

    private void deny(Step step, PendingWork call, String message) {
        step.emit(new ApprovalDecided(call.getToolCallId(), call.getTool(), false, null, message));
        turns.completeTool(
                step,
                call.getToolCallId(),
                call.getTool(),
                null,
                WorkOutcome.ERROR,
                denial(call.getTool(), message),
                true,
                null);
    }

    /** The result the model sees for a denied call. */
    static String denial(String tool, String message) {
        String why = message == null || message.isBlank() ? "no reason given" : message;
        return "not run: a human denied this call of " + tool + ": " + why;
    }
}
