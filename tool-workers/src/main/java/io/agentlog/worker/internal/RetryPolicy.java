package io.agentlog.worker.internal;

import io.agentlog.worker.WorkerConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * When a worker tries work again, in one place:
 *
 * <ul>
 *   <li>a tool call that failed transiently is released for redelivery after {@link #backoff(int)} (per delivery),
 *       and given up on the delivery before the last ({@link #mayRelease(int)});
 *   <li>a model call that failed transiently is tried again within its delivery (the lane keeps renewing the item's
 *       lock), after {@link #modelWait(int, Optional)}: the endpoint's {@code Retry-After}, never sooner than the
 *       backoff, until the waits would pass {@link #modelMaxRetryWait()};
 *   <li>the last delivery the share group allows is never run ({@link #isLastDelivery(int)}).
 * </ul>
 *
 * @param maxDeliveries the share group's delivery limit
 * @param backoff the first wait; doubled per attempt (or delivery) up to {@link #MAX_BACKOFF}
 * @param modelAttemptTimeout how long one model call attempt may take
 * @param modelMaxRetryWait the most a model call waits in all between its attempts
 */
public record RetryPolicy(
        int maxDeliveries, Duration backoff, Duration modelAttemptTimeout, Duration modelMaxRetryWait) {

    public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** No retry comes sooner, even after {@code Retry-After: 0}, so a confused endpoint is not hammered. */
    public static final Duration MIN_WAIT = Duration.ofMillis(100);

    public RetryPolicy {
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(modelAttemptTimeout, "modelAttemptTimeout");
        Objects.requireNonNull(modelMaxRetryWait, "modelMaxRetryWait");
    }

    public static RetryPolicy of(WorkerConfig config) {
        return new RetryPolicy(
                config.maxDeliveries(), config.retryBackoff(), config.modelTimeout(), config.modelMaxRetryWait());
    }

    /** The wait after the {@code n}-th failure (from 1): {@code backoff * 2^(n-1)}, at most {@link #MAX_BACKOFF}. */
    public Duration backoff(int n) {
        long factor = 1L << Math.min(Math.max(n - 1, 0), 10);
        return Duration.ofMillis(Math.min(backoff.toMillis() * factor, MAX_BACKOFF.toMillis()));
    }

    /** The wait after a model call's failed attempt {@code attempt} (from 1). */
    public Duration modelWait(int attempt, Optional<Duration> retryAfter) {
        Duration wait = backoff(attempt);
        if (retryAfter.isPresent() && retryAfter.get().compareTo(wait) > 0) {
            wait = retryAfter.get();
        }
        return wait.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : wait;
    }

    /** True for the last delivery the group allows: it only comes after earlier ones crashed, hung or kept failing. */
    public boolean isLastDelivery(int deliveryCount) {
        return deliveryCount > 1 && deliveryCount >= maxDeliveries;
    }

    /** True if a transiently failed delivery may be released: another one, not the last, is left. */
    public boolean mayRelease(int deliveryCount) {
        return deliveryCount + 1 < maxDeliveries;
    }
}
