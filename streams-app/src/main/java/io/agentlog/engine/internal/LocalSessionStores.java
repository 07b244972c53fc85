package io.agentlog.engine.internal;

import io.agentlog.engine.EngineTopology;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.SessionState;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The {@code sessions} store of this engine instance, one partition at a time: the partitions it has active tasks for,
 * and the store of each. Read by the HTTP API's session lists and by the sessions-by-status gauge.
 */
public final class LocalSessionStores {

    private final KafkaStreams streams;

    public LocalSessionStores(KafkaStreams streams) {
        this.streams = streams;
    }

    /** The partitions of the sessions store this instance has active tasks for, in order. */
    public Set<Integer> partitions() {
        return streams.metadataForLocalThreads().stream()
                .flatMap(thread -> thread.activeTasks().stream())
                .filter(task -> task.topicPartitions().stream()
                        .anyMatch(tp -> tp.topic().equals(Topics.TASKS.name())))
                .map(task -> task.taskId().partition())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * The store of one partition.
     *
     * @throws InvalidStateStoreException while the partition is being restored or moved
     */
    public ReadOnlyKeyValueStore<String, SessionState> store(int partition) {
        return streams.store(StoreQueryParameters.fromNameAndType(
                        EngineTopology.SESSIONS_STORE, QueryableStoreTypes.<String, SessionState>keyValueStore())
                .withPartition(partition));
    }
}
