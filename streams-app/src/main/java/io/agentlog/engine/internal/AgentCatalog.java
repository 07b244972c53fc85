package io.agentlog.engine.internal;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.AgentDefinition;
import java.util.Optional;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Looks agent definitions up in the global store, keyed {@code name@version}. */
final class AgentCatalog {

    private static final Logger log = LoggerFactory.getLogger(AgentCatalog.class);
    private static final AvroSerde<AgentDefinition> SERDE = AvroSerde.of(AgentDefinition.class);

    private final ReadOnlyKeyValueStore<String, byte[]> store;

    AgentCatalog(ReadOnlyKeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    /** The given version, or the newest valid one when {@code version} is null. */
    Optional<AgentDefinition> find(String name, Integer version) {
        if (version != null) {
            return decode(name + "@" + version, store.get(name + "@" + version));
        }
        AgentDefinition newest = null;
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(name + "@", new StringSerializer())) {
            while (it.hasNext()) {
                var entry = it.next();
                Optional<AgentDefinition> candidate = decode(entry.key, entry.value);
                if (candidate.isPresent() && (newest == null || candidate.get().getVersion() > newest.getVersion())) {
                    newest = candidate.get();
                }
            }
        }
        return Optional.ofNullable(newest);
    }

    private static Optional<AgentDefinition> decode(String key, byte[] bytes) {
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(SERDE.decode(bytes));
        } catch (UndecodableRecordException e) {
            log.warn("Ignoring undecodable agent definition {}: {}", key, e.getMessage());
            return Optional.empty();
        }
    }
}
