package io.agentlog.client;

/** A client operation failed: Kafka unreachable, a topic missing, a record rejected. The message says what to do. */
public class AgentlogException extends RuntimeException {

    public AgentlogException(String message) {
        super(message);
    }

    public AgentlogException(String message, Throwable cause) {
        super(message, cause);
    }
}
