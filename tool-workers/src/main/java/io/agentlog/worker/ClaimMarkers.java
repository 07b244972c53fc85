package io.agentlog.worker;

import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkProgress;
import io.agentlog.schemas.avro.WorkResult;

/**
 * How a claim marker looks on {@code agentlog.work.results}. Before a worker runs an at-most-once tool on a first
 * delivery, it writes a {@code DELAYED} {@link WorkResult} of the call whose {@link WorkProgress#getReason()} starts
 * with {@value #REASON_PREFIX}, and runs the tool only if no earlier record of the call is before that marker. To the
 * engine a marker is progress like any {@code DELAYED} result: it moves the call's deadline at most.
 */
public final class ClaimMarkers {

    public static final String REASON_PREFIX = "claim: ";

    private ClaimMarkers() {}

    public static boolean isClaim(WorkResult result) {
        return result.getOutcome() == WorkOutcome.DELAYED
                && result.getResult() instanceof WorkProgress progress
                && progress.getReason().startsWith(REASON_PREFIX);
    }
}
