package io.agentlog.worker.internal;

import org.apache.kafka.common.TopicPartition;

/** The current leader epoch of a partition: it grows by one or more each time the partition gets another leader. */
@FunctionalInterface
public interface LeaderEpochs {

    /** @throws RuntimeException if the epoch could not be learned (the caller decides what then) */
    int current(TopicPartition partition);
}
