package io.agentlog.worker.internal;

import java.util.OptionalInt;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * One delivery of a work record, as the share group handed it over.
 *
 * @param count the share group's delivery count: 1 on a first delivery. Kafka 4.4.0 counts a delivery only once the
 *     record is acknowledged, released or its lock expires, so a record held when its share-partition leader dies
 *     comes back from the new leader as delivery 1 again
 * @param partition the work topic partition the record is on
 * @param writtenInEpoch the leader epoch of the batch the record was written in ({@code ConsumerRecord#leaderEpoch});
 *     a partition whose leader epoch is now higher has changed leaders since, so this may be such a redelivery
 * @param deliveredAtNanos when the poll that returned the record had returned ({@link System#nanoTime()}): the record
 *     was acquired before then
 */
public record Delivery(int count, TopicPartition partition, OptionalInt writtenInEpoch, long deliveredAtNanos) {

    public Delivery {
        if (count < 1) {
            throw new IllegalArgumentException("a delivery count starts at 1, but was " + count);
        }
    }

    static Delivery of(ConsumerRecord<?, ?> record, long deliveredAtNanos) {
        return new Delivery(
                countOf(record),
                new TopicPartition(record.topic(), record.partition()),
                record.leaderEpoch().map(OptionalInt::of).orElseGet(OptionalInt::empty),
                deliveredAtNanos);
    }

    static int countOf(ConsumerRecord<?, ?> record) {
        return record.deliveryCount().map(Short::intValue).orElse(1);
    }

    public boolean isFirst() {
        return count == 1;
    }
}
