package io.agentlog.schemas;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic of the agentlog contract: its name, the serdes of its keys and values, and how it is
 * created. Immutable; all instances live in {@link Topics}.
 */
public record Topic<K, V>(
        String name, Serde<K> keySerde, Serde<V> valueSerde, int partitions, Map<String, String> configs) {

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions of " + name + " must be at least 1, but was " + partitions);
        }
        configs = Map.copyOf(configs);
    }
}
