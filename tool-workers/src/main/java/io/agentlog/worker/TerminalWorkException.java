package io.agentlog.worker;

/**
 * A failure that another attempt would repeat (a bad request, a script without the asked turn, a misconfigured
 * provider). The worker answers the item with outcome {@code ERROR} and this message, so the session sees why.
 */
public class TerminalWorkException extends RuntimeException {

    public TerminalWorkException(String message) {
        super(message);
    }

    public TerminalWorkException(String message, Throwable cause) {
        super(message, cause);
    }
}
