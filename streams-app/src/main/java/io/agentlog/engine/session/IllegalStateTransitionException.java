package io.agentlog.engine.session;

import io.agentlog.schemas.avro.SessionStatus;

/** A session was asked to move between two states that the state machine does not connect. */
public final class IllegalStateTransitionException extends IllegalStateException {

    public IllegalStateTransitionException(String sessionId, SessionStatus from, SessionStatus to) {
        super("session " + sessionId + " cannot go from " + from + " to " + to);
    }
}
