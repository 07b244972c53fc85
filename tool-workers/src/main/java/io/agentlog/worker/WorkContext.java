package io.agentlog.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a tool or a model provider knows about the work item beyond its request.
 *
 * @param sessionId the session that asked
 * @param workId the work item, unique per call within its session
 * @param idempotencyKey {@code sessionId/workId}: pass it to the outside world (e.g. an {@code Idempotency-Key}
 *     header) so a redelivered call does not act twice
 * @param deadline when this attempt's time runs out; stop and fail by then
 * @param workerId the worker running it
 * @param deliveryCount 1 on the first delivery, higher when the item was redelivered
 * @param resultCheck on a model call that may have been delivered before (a delivery count above 1, or a partition
 *     that changed leaders since the record was written): how far the worker looked for a committed result of an
 *     earlier delivery before it decided to call the model (it found none up to there)
 */
public record WorkContext(
        String sessionId,
        String workId,
        String idempotencyKey,
        Instant deadline,
        String workerId,
        int deliveryCount,
        Optional<ResultCheck> resultCheck) {

    public WorkContext {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(workId, "workId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(workerId, "workerId");
        Objects.requireNonNull(resultCheck, "resultCheck");
    }

    /** A context without a result check (tools, and model calls with no reason to look). */
    public WorkContext(
            String sessionId,
            String workId,
            String idempotencyKey,
            Instant deadline,
            String workerId,
            int deliveryCount) {
        this(sessionId, workId, idempotencyKey, deadline, workerId, deliveryCount, Optional.empty());
    }

    /**
     * The worker read {@code agentlog.work.results} partition {@code partition} (read_committed) up to
     * {@code endOffset} (exclusive, the end it saw when the lookup began) and found no result of this work item.
     */
    public record ResultCheck(int partition, long endOffset) {}

    /** Time left until the deadline, never negative. */
    public Duration remaining() {
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }
}
