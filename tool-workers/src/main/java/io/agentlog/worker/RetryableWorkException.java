package io.agentlog.worker;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A transient failure: the work did not happen and may succeed when tried again (a network error, an HTTP 5xx or 429
 * from a model endpoint). A model call is tried again in the same delivery, after {@link #retryAfter()} when the
 * endpoint said how long to wait, else after a growing backoff, up to the worker's maximum retry wait; a tool call's
 * item is released after a backoff so it is delivered again, possibly to another worker. Either way it ends in an
 * error result when the worker gives up.
 */
public class RetryableWorkException extends RuntimeException {

    private final transient Optional<Duration> retryAfter;

    public RetryableWorkException(String message) {
        this(message, (Throwable) null);
    }

    public RetryableWorkException(String message, Throwable cause) {
        super(message, cause);
        this.retryAfter = Optional.empty();
    }

    /** A failure whose source said when to try again (an HTTP {@code Retry-After}). */
    public RetryableWorkException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        Objects.requireNonNull(retryAfter, "retryAfter");
        this.retryAfter = Optional.of(retryAfter.isNegative() ? Duration.ZERO : retryAfter);
    }

    /** How long the source asked us to wait before the next attempt, if it said. */
    public Optional<Duration> retryAfter() {
        return retryAfter == null ? Optional.empty() : retryAfter;
    }
}
