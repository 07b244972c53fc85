package io.agentlog.engine.session;

import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.WorkRequest;

/** What a step produces besides journal events; the engine writes it when the step is applied. */
public sealed interface StepOutput {

    /** A work item for a worker pool, already encoded (its size was checked against the work topic's limit). */
    record Work(WorkRequest request, byte[] encoded) implements StepOutput {}

    /** The session's one terminal record for {@code agentlog.results}. */
    record Result(SessionResult result) implements StepOutput {}

    /** A workspace content too large to travel inline in its FileWritten event, for {@code agentlog.blobs}. */
    record Blob(String hash, byte[] content) implements StepOutput {}

    /**
     * A record for another session, already encoded: a child's task, a child's result for its parent, a cancel for a
     * child. Keyed by that session's id, so it lands on its partition.
     */
    record Message(String topic, String key, byte[] value) implements StepOutput {}

    /** The input record cannot be used: it goes to {@code agentlog.dlq} with the reason. */
    record Rejected(String reason) implements StepOutput {}
}
