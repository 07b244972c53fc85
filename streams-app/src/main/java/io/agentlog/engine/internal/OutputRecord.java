package io.agentlog.engine.internal;

import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * A record the engine writes, already encoded, with the topic it goes to: one sink writes them all, and every
 * record's size is known (and checked) before anything of its step is written. A record written back to an input
 * topic names its partition, so it lands where the engine will look for it whatever the producer would choose.
 *
 * @param partition the partition to write to, or -1 for the producer's choice (murmur2 of the key)
 */
public record OutputRecord(String topic, byte[] value, int partition) {

    public OutputRecord(String topic, byte[] value) {
        this(topic, value, -1);
    }

    /** The sink's value serializer: the bytes as they are. */
    public static final class ValueSerializer implements Serializer<OutputRecord> {
        @Override
        public byte[] serialize(String topic, OutputRecord record) {
            return record == null ? null : record.value();
        }
    }

    /** The sink's partitioner: the record's own partition when it names one that exists, else the producer's. */
    public static final class Partitioner implements StreamPartitioner<String, OutputRecord> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, OutputRecord value, int numPartitions) {
            return value != null && value.partition() >= 0 && value.partition() < numPartitions
                    ? Optional.of(Set.of(value.partition()))
                    : Optional.empty();
        }
    }
}
