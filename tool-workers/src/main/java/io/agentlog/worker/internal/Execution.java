package io.agentlog.worker.internal;

import io.agentlog.schemas.avro.WorkResult;

/** What became of one delivery of a work item. */
public sealed interface Execution {

    /** Produce this result, then acknowledge the delivery ({@code ACCEPT}). */
    record Answer(WorkResult result) implements Execution {}

    /**
     * An earlier delivery's result is already committed (its worker stopped before acknowledging): acknowledge
     * ({@code ACCEPT}) without running anything or producing another result.
     */
    record AlreadyAnswered(String reason) implements Execution {}

    /**
     * An at-most-once tool whose call another delivery claimed first (its claim or result is before this delivery's
     * claim on the results partition): acknowledge ({@code ACCEPT}) without running the tool or producing a result.
     * The earlier claimant answers, or, if it died, the engine's tool timeout does.
     */
    record ClaimedEarlier(String reason) implements Execution {}

    /** A transient failure: release the delivery after {@code backoffMs} so it is delivered again. */
    record Retry(String reason, long backoffMs) implements Execution {}

    /**
     * A poison item: copy the work record to {@code agentlog.dlq} with {@code reason}, produce this {@code ERROR}
     * result so the session goes on, then acknowledge {@code REJECT}.
     */
    record Reject(WorkResult result, String reason) implements Execution {}
}
