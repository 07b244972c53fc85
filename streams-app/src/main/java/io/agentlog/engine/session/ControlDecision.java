package io.agentlog.engine.session;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ApprovalDecided;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
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
 * arguments, if given), deny answers it with the human's message instead. Commands that cannot apply (unknown or
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
            case APPROVE, DENY -> decideApproval(step, state, command);
            case RESUME ->
                step.reject("RESUME for session " + key + ": the session is running (" + state.getStatus() + ")");
        }
    }

    /** The call the command names (or the only one waiting), approved or denied; then the turn goes on if it can. */
    private void decideApproval(Step step, SessionState state, ControlCommand command) {
        String key = step.sessionId();
        List<PendingWork> waiting = state.getPending().stream()
                .filter(p -> p.getKind() == WorkKind.APPROVAL)
                .toList();
        List<String> ids = waiting.stream().map(PendingWork::getToolCallId).toList();
        if (waiting.isEmpty()) {
            step.reject(command.getType() + " for session " + key + ": no tool call is awaiting approval");
            return;
        }
        PendingWork call;
        if (command.getToolCallId() == null) {
            if (waiting.size() > 1) {
                step.reject(command.getType() + " for session " + key + " names no tool call, but " + waiting.size()
                        + " await approval: " + ids);
                return;
            }
            call = waiting.getFirst();
        } else {
            Optional<PendingWork> named = waiting.stream()
                    .filter(p -> p.getToolCallId().equals(command.getToolCallId()))
                    .findFirst();
            if (named.isEmpty()) {
                step.reject(command.getType() + " for session " + key + ": tool call " + command.getToolCallId()
                        + " is not awaiting approval; these are: " + ids);
                return;
            }
            call = named.get();
        }
        if (command.getType() == ControlType.APPROVE) {
            approve(step, call, command.getArguments());
        } else {
            deny(step, call, command.getMessage());
        }
        turns.advance(step);
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
        String why = message == null || message.isBlank() ? "no reason given" : message;
        turns.completeTool(
                step,
                call.getToolCallId(),
                call.getTool(),
                null,
                WorkOutcome.ERROR,
                "not run: a human denied this call of " + call.getTool() + ": " + why,
                true,
                null);
    }
}
