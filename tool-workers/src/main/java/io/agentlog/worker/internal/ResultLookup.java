package io.agentlog.worker.internal;

import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.WorkContext;
import java.util.Optional;

/**
 * What other deliveries of a work item left on {@code agentlog.work.results}, the session's results partition, which
 * orders everything written about one session:
 *
 * <ul>
 *   <li>{@link #find}: a result an earlier delivery committed, so a model call delivered again after it was answered
 *       (its worker died, or its share-partition leader did, between the result and the acknowledgement) is
 *       acknowledged instead of paid for again;
 *   <li>{@link #claim}: this delivery's claim marker, written before an at-most-once tool runs, and whether another
 *       delivery's claim or result is before it in the partition, in which case this delivery must not run the tool.
 * </ul>
 */
public interface ResultLookup {

    /**
     * Reads the results partition up to its end when the lookup begins.
     *
     * @return where the lookup read up to, and the committed result (any outcome but {@code DELAYED}) if one exists
     * @throws RuntimeException if the lookup could not be done (the caller decides what then)
     */
    Lookup find(WorkRequest request);

    /**
     * Writes {@code marker} (keyed by the session id, like every result), waits until the broker has it
     * ({@code acks=all}), then reads the partition it landed on up to it.
     *
     * @return the marker's place, and the first record of the same work item below it (a claim of another delivery,
     *     or a result), if there is one
     * @throws RuntimeException if the marker could not be written or the partition not read up to it; the marker may
     *     have been written all the same
     */
    Claim claim(WorkRequest request, WorkResult marker);

    /** @param checked the partition and the end offset read up to (exclusive) */
    record Lookup(WorkContext.ResultCheck checked, Optional<WorkResult> committed) {}

    /**
     * @param marker the partition and offset of this delivery's marker (read up to, exclusive)
     * @param earlier the first record of the work item below the marker: this delivery lost the claim
     */
    record Claim(WorkContext.ResultCheck marker, Optional<WorkResult> earlier) {}
}
