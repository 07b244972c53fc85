package io.agentlog.engine.internal;

import io.agentlog.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;

/**
 * The topics the engine writes besides its work topics: each must exist before the engine starts. A missing one
 * would fail every transaction that writes to it (the engine's producer cannot create topics), so an engine upgraded
 * onto a cluster whose topics are older (without {@code agentlog.cancels}, say) says so at once instead.
 */
public final class OutputTopics {

    /**
     * What the engine writes besides its inputs (tasks, control and work results, which it also writes for
     * sub-agents, are checked by {@link InputPartitions#lookup}): journal, results, blobs, dead letters, cancels.
     */
    public static final List<String> NAMES = List.of(
            Topics.EVENTS.name(),
            Topics.RESULTS.name(),
            Topics.BLOBS.name(),
            Topics.DLQ.name(),
            Topics.CANCELS.name(),
            Topics.SPEND.name());

    private OutputTopics() {}

    /** Throws, naming them, when any of {@code names} does not exist. */
    public static void require(Admin admin, List<String> names, Duration timeout)
            throws TimeoutException, InterruptedException {
        Set<String> existing;
        try {
            existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the cluster's topics: " + e.getCause(), e.getCause());
        }
        Set<String> missing = new TreeSet<>(names);
        missing.removeAll(existing);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the engine writes to " + missing + ", which do not exist; create them"
                    + " first (`agentlog topics create` adds the missing topics and leaves the others as they are)");
        }
    }
}
