package io.agentlog.engine.internal;

import io.agentlog.engine.EngineTopology;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.UserMessageAdded;
import java.util.Optional;

/**
 * {@code ControlCommand}: cancel ends the session and drops its pending work (late results are
 * then ignored); steer adds a user message that the next model turn sees. Commands that cannot
 * apply (unknown or finished session, nothing awaiting approval) go to the DLQ with the reason.
 */
final class ControlHandler {

    private final SessionRuntime runtime;

    ControlHandler(SessionRuntime runtime) {
        this.runtime = runtime;
    }

    void handle(String key, ControlCommand command) {
        if (key == null || key.isBlank()) {
            if (command.getSessionId().isBlank()) {
                runtime.deadLetter(key, command, "control command has neither a record key nor a sessionId");
            } else {
                runtime.forward(EngineTopology.CONTROL_SINK, command.getSessionId(), command);
            }
            return;
        }
        if (!command.getSessionId().isBlank() && !command.getSessionId().equals(key)) {
            runtime.deadLetter(
                    key,
                    command,
                    "control record key '" + key + "' and its sessionId '" + command.getSessionId() + "' differ");
            return;
        }
        Optional<SessionState> loaded = runtime.load(key);
        if (loaded.isEmpty()) {
            runtime.deadLetter(key, command, command.getType() + " for unknown session " + key);
            return;
        }
        SessionState state = loaded.get();
        if (Transitions.isTerminal(state.getStatus())) {
            runtime.deadLetter(
                    key,
                    command,
                    command.getType() + " for session " + key + ", which already ended " + state.getStatus());
            return;
        }
        switch (command.getType()) {
            case CANCEL ->
                runtime.end(
                        state,
                        ResultStatus.CANCELLED,
                        null,
                        "cancelled" + (command.getMessage() == null ? "" : ": " + command.getMessage()));
            case STEER -> steer(state, command);
            case APPROVE, DENY -> {
                runtime.deadLetter(
                        key,
                        command,
                        command.getType() + " for session " + key + ": no tool call is awaiting approval");
                return;
            }
            case RESUME -> {
                runtime.deadLetter(
                        key,
                        command,
                        "RESUME for session " + key + ": the session is running (" + state.getStatus() + ")");
                return;
            }
        }
        runtime.save(state);
    }

    private void steer(SessionState state, ControlCommand command) {
        String text = command.getMessage() == null ? "" : command.getMessage();
        String shown = runtime.capped(state, text, "steer-" + state.getNextEventSeq());
        runtime.emit(state, new UserMessageAdded(shown));
        runtime.append(
                state, Message.newBuilder().setRole(Role.USER).setContent(shown).build());
    }
}
