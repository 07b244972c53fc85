package io.agentlog.engine.internal;

import io.agentlog.engine.EngineTopology;
import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.AgentDefinition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent definitions this engine instance has, from its global {@code agents} store (every instance holds all of
 * them): what the HTTP API lists. Reading waits, briefly, until the store holds what the topic held at the start of
 * the read, so a definition that was just registered is listed.
 */
public final class RegisteredAgents {

    private static final Logger log = LoggerFactory.getLogger(RegisteredAgents.class);
    private static final AvroSerde<AgentDefinition> SERDE = AvroSerde.of(AgentDefinition.class);

    private final KafkaStreams streams;
    private final AgentsCatchUp catchUp;

    public RegisteredAgents(KafkaStreams streams, AgentsCatchUp catchUp) {
        this.streams = streams;
        this.catchUp = catchUp;
    }

    /**
     * Every definition, by name and then version.
     *
     * @throws InvalidStateStoreException while the engine is not running
     */
    public List<AgentDefinition> all() {
        catchUp.await();
        ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                EngineTopology.AGENTS_STORE, QueryableStoreTypes.<String, byte[]>keyValueStore()));
        List<AgentDefinition> definitions = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var entry = it.next();
                try {
                    definitions.add(SERDE.decode(entry.value));
                } catch (UndecodableRecordException e) {
                    log.debug("Not listing the undecodable agent definition {}: {}", entry.key, e.getMessage());
                }
            }
        }
        definitions.sort(Comparator.comparing((AgentDefinition a) -> a.getName().toString())
                .thenComparing(AgentDefinition::getVersion));
        return definitions;
    }
}
