package io.agentlog.client;

import java.time.Duration;

/** A session produced no terminal result (or event) within the time asked for; it may still be running. */
public final class ResultTimeoutException extends AgentlogException {

    private final String sessionId;

    public ResultTimeoutException(String sessionId, String what, Duration timeout) {
        super("no " + what + " for session " + sessionId + " within " + Durations.format(timeout)
                + "; it may still be running: wait longer, or cancel it with `agentlog cancel " + sessionId + "`");
        this.sessionId = sessionId;
    }

    public String sessionId() {
        return sessionId;
    }
}
