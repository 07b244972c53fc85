package io.agentlog.client.http;

import io.agentlog.client.AgentlogException;

/**
 * The HTTP API answered with an error: its status and its {@code error} text. A 4xx is the caller's mistake or a
 * state that does not allow the request (404 unknown session, 409 ended session or no such waiting call) and will
 * fail again; a 503 (the engine is starting or rebalancing) and a 502 or 504 from a proxy are {@link #retryable()}.
 */
public final class AgentlogHttpException extends AgentlogException {

    private final int status;
    private final String error;

    public AgentlogHttpException(String request, int status, String error) {
        super(request + " answered " + status + ": " + error);
        this.status = status;
        this.error = error;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The server's {@code error} text (or the body, when it was not the API's JSON). */
    public String error() {
        return error;
    }

    /** A 4xx: the request itself or the session's state is the problem; sending it again fails again. */
    public boolean clientError() {
        return status >= 400 && status < 500;
    }

    /** A 503 (or a proxy's 502/504): try again shortly. */
    public boolean retryable() {
        return status == 502 || status == 503 || status == 504;
    }
}
