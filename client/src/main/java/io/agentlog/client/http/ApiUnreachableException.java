package io.agentlog.client.http;

import io.agentlog.client.AgentlogException;

/** The HTTP API could not be reached (refused, reset, timed out): no answer at all, so no status. Retryable. */
public final class ApiUnreachableException extends AgentlogException {

    public ApiUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
