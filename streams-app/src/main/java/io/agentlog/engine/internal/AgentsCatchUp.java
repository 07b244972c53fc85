package io.agentlog.engine.internal;

import io.agentlog.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the global {@code agents} store has every definition that is on {@code agentlog.agents}. Stream threads
 * and the global thread read their topics independently, so a task submitted right after its agent was registered
 * can reach a stream thread before the definition reaches the store; failing it as "unknown agent" would be wrong.
 * So when a lookup misses, the stream thread waits (briefly, bounded) until the global thread has processed the
 * topic up to the end offsets it has now, and looks again. A miss for an agent that really is not registered costs
 * one end-offset lookup and no wait.
 */
public final class AgentsCatchUp {

    private static final Logger log = LoggerFactory.getLogger(AgentsCatchUp.class);

    /** The longest a stream thread waits for the global thread (well under the transaction and poll timeouts). */
    static final Duration MAX_WAIT = Duration.ofSeconds(3);

    private final Supplier<Map<Integer, Long>> endOffsets;
    private final Duration maxWait;
    /** Next offset to process per partition; guarded by this. */
    private final Map<Integer, Long> processed = new HashMap<>();

    AgentsCatchUp(Supplier<Map<Integer, Long>> endOffsets, Duration maxWait) {
        this.endOffsets = endOffsets;
        this.maxWait = maxWait;
    }

    AgentsCatchUp(Supplier<Map<Integer, Long>> endOffsets) {
        this(endOffsets, MAX_WAIT);
    }

    /** Where the global thread stands is where the topic ends: for a topology driven in one thread. */
    public static AgentsCatchUp inline() {
        return new AgentsCatchUp(Map::of);
    }

    /** End offsets from the cluster. */
    public static AgentsCatchUp of(Admin admin) {
        return new AgentsCatchUp(() -> {
            try {
                int partitions = admin.describeTopics(java.util.List.of(Topics.AGENTS.name()))
                        .allTopicNames()
                        .get(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                        .get(Topics.AGENTS.name())
                        .partitions()
                        .size();
                Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                for (int p = 0; p < partitions; p++) {
                    request.put(new TopicPartition(Topics.AGENTS.name(), p), OffsetSpec.latest());
                }
                Map<Integer, Long> out = new HashMap<>();
                admin.listOffsets(request)
                        .all()
                        .get(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                        .forEach((tp, info) -> out.put(tp.partition(), info.offset()));
                return out;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Map.of();
            } catch (Exception e) {
                log.warn("Cannot read the end offsets of {}: {}", Topics.AGENTS.name(), e.toString());
                return Map.of();
            }
        });
    }

    /** The global thread put the record at this offset into the store; a stream thread waiting for it wakes. */
    synchronized void processed(int partition, long offset) {
        processed.merge(partition, offset + 1, Math::max);
        notifyAll();
    }

    /**
     * Waits until the store holds every definition that is on the topic now, at most {@link #MAX_WAIT}. Returns
     * whether it does (so a second look finds what was registered before this call), false when the global thread did
     * not catch up in time. End offsets that cannot be read count as reached: the second look is all there is.
     */
    boolean await() {
        Map<Integer, Long> end = endOffsets.get();
        long deadline = System.nanoTime() + maxWait.toNanos();
        synchronized (this) {
            while (!caughtUp(end)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.warn(
                            "The agents store did not catch up with {} (end offsets {}, processed {}) within {}",
                            Topics.AGENTS.name(),
                            end,
                            processed,
                            maxWait);
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    private boolean caughtUp(Map<Integer, Long> end) {
        return end.entrySet().stream().allMatch(e -> processed.getOrDefault(e.getKey(), 0L) >= e.getValue());
    }
}
