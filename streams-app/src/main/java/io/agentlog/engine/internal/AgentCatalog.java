package io.agentlog.engine.internal;

import io.agentlog.engine.session.Definitions;
import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.AgentDefinition;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agent definitions from the global store, keyed {@code name@version}. Sessions reference a definition instead of
 * copying it, so it is read on every model turn: decoded definitions are kept in a small cache, reused while the
 * stored bytes are the same.
 */
final class AgentCatalog implements Definitions {

    private static final Logger log = LoggerFactory.getLogger(AgentCatalog.class);
    private static final AvroSerde<AgentDefinition> SERDE = AvroSerde.of(AgentDefinition.class);
    private static final int CACHE_SIZE = 256;

    private final ReadOnlyKeyValueStore<String, byte[]> store;
    private final AgentsCatchUp catchUp;

    private record Decoded(byte[] bytes, AgentDefinition definition) {}

    private final Map<String, Decoded> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Decoded> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    AgentCatalog(ReadOnlyKeyValueStore<String, byte[]> store, AgentsCatchUp catchUp) {
        this.store = store;
        this.catchUp = catchUp;
    }

    /**
     * A miss is looked up again once the store has caught up with the topic: the definition may have been registered
     * a moment before the task came, and the global thread be a step behind.
     */
    @Override
    public Optional<AgentDefinition> find(String name, Integer version) {
        Optional<AgentDefinition> found = lookup(name, version);
        return found.isEmpty() && catchUp.await() ? lookup(name, version) : found;
    }

    /** The definition as the store has it now, without waiting for the store to catch up. */
    Optional<AgentDefinition> lookup(String name, Integer version) {
        if (version != null) {
            String key = Topics.agentKey(name, version);
            return decode(key, store.get(key));
        }
        AgentDefinition newest = null;
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(name + "@", new StringSerializer())) {
            while (it.hasNext()) {
                var entry = it.next();
                Optional<AgentDefinition> candidate = decode(entry.key, entry.value);
                if (candidate.isPresent()
                        && candidate.get().getName().equals(name)
                        && (newest == null || candidate.get().getVersion() > newest.getVersion())) {
                    newest = candidate.get();
                }
            }
        }
        return Optional.ofNullable(newest);
    }

    private Optional<AgentDefinition> decode(String key, byte[] bytes) {
        if (bytes == null) {
            cache.remove(key);
            return Optional.empty();
        }
        Decoded cached = cache.get(key);
        if (cached != null && Arrays.equals(cached.bytes(), bytes)) {
            return Optional.of(cached.definition());
        }
        try {
            AgentDefinition definition = SERDE.decode(bytes);
            cache.put(key, new Decoded(bytes, definition));
            return Optional.of(definition);
        } catch (UndecodableRecordException e) {
            log.warn("Ignoring undecodable agent definition {}: {}", key, e.getMessage());
            return Optional.empty();
        }
    }
}
