package io.agentlog.engine.internal;

import io.agentlog.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Utils;

/**
 * The partition each input record must be on for its session's state to be there: the one the Java client's
 * default partitioner gives its key (murmur2). Clients of other languages hash keys differently (librdkafka's
 * default is CRC32), so their records may arrive elsewhere; the processor writes those back to their key's
 * partition before they touch any state.
 */
public final class InputPartitions {

    private final Map<String, Integer> counts;

    /** Partition counts of the input topics, by topic name. */
    public InputPartitions(Map<String, Integer> counts) {
        this.counts = Map.copyOf(counts);
    }

    /** The partition counts of the engine's input topics, read from the cluster. */
    public static InputPartitions lookup(Admin admin, Duration timeout) throws TimeoutException, InterruptedException {
        List<String> inputs = List.of(Topics.TASKS.name(), Topics.CONTROL.name(), Topics.WORK_RESULTS.name());
        try {
            Map<String, Integer> counts = new HashMap<>();
            admin.describeTopics(inputs)
                    .allTopicNames()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((name, description) ->
                            counts.put(name, description.partitions().size()));
            if (counts.values().stream().distinct().count() > 1) {
                throw new IllegalStateException("the engine's input topics must have the same number of partitions"
                        + " (they are read co-partitioned by session id), but have " + counts);
            }
            return new InputPartitions(counts);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalStateException(
                        "the engine's input topics " + inputs + " do not all exist; create"
                                + " them first (`agentlog topics create`)",
                        e.getCause());
            }
            throw new IllegalStateException(
                    "cannot describe the engine's input topics " + inputs + ": " + e.getCause(), e.getCause());
        }
    }

    /**
     * The partition a record with this key belongs on, when it sits on another one; empty when it is where it
     * belongs (or the topic or key is not one the engine routes).
     */
    OptionalInt misplaced(String topic, int partition, String key) {
        Integer count = counts.get(topic);
        if (count == null || key == null || partition < 0) {
            return OptionalInt.empty();
        }
        int right = partitionOf(key, count);
        return right == partition ? OptionalInt.empty() : OptionalInt.of(right);
    }

    static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
