package io.agentlog.worker.internal;

import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.WorkContext;
import java.util.Optional;

/**
 * Finds a result of a work item that an earlier delivery already committed to {@code agentlog.work.results}, so a
 * redelivered model call that was answered (its worker died between producing the result and acknowledging the item)
 * is acknowledged instead of paid for again.
 */
@FunctionalInterface
public interface ResultLookup {

    /**
     * @return where the lookup read up to, and the committed result (any outcome but {@code DELAYED}) if one exists
     * @throws RuntimeException if the lookup could not be done (the caller decides what then)
     */
    Lookup find(WorkRequest request);

    /** @param checked the partition and the end offset read up to (exclusive) */
    record Lookup(WorkContext.ResultCheck checked, Optional<WorkResult> committed) {}
}
