package io.agentlog.worker.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentlog.schemas.avro.ToolSemantics;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One call of a custom tool, its arguments already validated against the tool's JSON Schema.
 *
 * @param tool the tool's name
 * @param arguments the arguments: a JSON object that fits the tool's schema
 * @param sessionId the session whose model called the tool
 * @param workId the call's work item, unique within its session
 * @param idempotencyKey {@code sessionId/workId}, the same on every delivery of this call: pass it to the systems the
 *     handler changes, so a redelivered call does not act twice
 * @param deliveryCount 1 on the first delivery, higher when the call was delivered again (its worker died, or an
 *     earlier attempt threw a retryable exception)
 * @param deadline when this attempt's time runs out (the tool's {@code timeoutMs} from the agent definition); the
 *     engine answers the call with a timeout after it, so stop by then
 * @param semantics {@code IDEMPOTENT} (may run more than once: use the key) or {@code AT_MOST_ONCE} (the worker runs
 *     it at most once: never on a delivery that may repeat an earlier one), as the agent definition says
 */
public record ToolCall(
        String tool,
        JsonNode arguments,
        String sessionId,
        String workId,
        String idempotencyKey,
        int deliveryCount,
        Instant deadline,
        ToolSemantics semantics) {

    public ToolCall {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(workId, "workId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(semantics, "semantics");
    }

    /** Time left until the deadline, never negative. */
    public Duration remaining() {
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }
}
