package io.agentlog.worker;

/**
 * A transient failure: the work did not happen and may succeed on another delivery (a network error, an HTTP 5xx or
 * 429 from a model endpoint). The worker releases the item after a backoff so it is delivered again, possibly to
 * another worker; on the last allowed delivery it answers with an error instead.
 */
public class RetryableWorkException extends RuntimeException {

    public RetryableWorkException(String message) {
        super(message);
    }

    public RetryableWorkException(String message, Throwable cause) {
        super(message, cause);
    }
}
