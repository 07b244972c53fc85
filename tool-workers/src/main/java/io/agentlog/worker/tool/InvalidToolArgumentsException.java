package io.agentlog.worker.tool;

/** The arguments of a tool call do not fit the tool's schema. The message says what is wrong, for the model. */
public final class InvalidToolArgumentsException extends RuntimeException {

    public InvalidToolArgumentsException(String message) {
        super(message);
    }
}
