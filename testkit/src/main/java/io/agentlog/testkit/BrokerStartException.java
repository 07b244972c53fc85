package io.agentlog.testkit;

/** The broker did not come up: its process died or did not answer in time. The message carries its log tail. */
public final class BrokerStartException extends RuntimeException {

    public BrokerStartException(String message) {
        super(message);
    }

    public BrokerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
