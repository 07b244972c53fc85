package io.agentlog.worker.internal;

import org.apache.kafka.common.TopicPartition;

/** The current leader epoch of a partition: it grows by one or more each time the partition gets another leader. */
@FunctionalInterface
public interface LeaderEpochs {

    /**
     * The epoch the partition's leader gave in answer to a request sent no earlier than {@code notBeforeNanos}
     * ({@link System#nanoTime()}). A delivery asks with the time its poll returned: a leader that answers a request
     * sent after that has the epoch of the leader that delivered the record, or a later one.
     *
     * @throws RuntimeException if the epoch could not be learned (the caller decides what then)
     */
    int current(TopicPartition partition, long notBeforeNanos);
}
