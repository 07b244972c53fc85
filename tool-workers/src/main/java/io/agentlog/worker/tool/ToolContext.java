package io.agentlog.worker.tool;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What a tool knows about the call beyond its arguments.
 *
 * @param sessionId the session that asked
 * @param workId the work item, unique per call
 * @param idempotencyKey {@code sessionId/workId}: pass it to the outside world (e.g. an {@code Idempotency-Key}
 *     header) so a redelivered call does not act twice
 * @param deadline when the call's timeout expires; stop and return an error by then
 * @param workerId the worker running it
 * @param deliveryCount 1 on the first delivery, higher when the item was redelivered
 */
public record ToolContext(
        String sessionId, String workId, String idempotencyKey, Instant deadline, String workerId, int deliveryCount) {

    public ToolContext {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(workId, "workId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(workerId, "workerId");
    }

    /** Time left until the deadline, never negative. */
    public Duration remaining() {
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }
}
