package io.agentlog.engine.session;

import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.UserMessageAdded;
import java.util.Optional;

/**
 * {@code ControlCommand}: cancel ends the session (late results of its pending work are then dropped); steer adds
 * a user message that the next model turn sees. Commands that cannot apply (unknown or ended session, nothing
 * awaiting approval) go to the DLQ with the reason.
 */
final class ControlDecision {

    private final Turns turns;

    ControlDecision(Turns turns) {
        this.turns = turns;
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
                step.reject(command.getType() + " for session " + key + ": no tool call is awaiting approval");
            case RESUME ->
                step.reject("RESUME for session " + key + ": the session is running (" + state.getStatus() + ")");
        }
    }
}
