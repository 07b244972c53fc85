package io.agentlog.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.ModelSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

/** A definition registered a moment before its first task is found, though the global thread is a step behind. */
class AgentCatalogTest {

    @Test
    void shouldFindADefinitionThatReachesTheStoreWhileTheLookupWaitsForTheGlobalThread() throws Exception {
        // Given a store without the definition yet, and a topic that already has it (end offset 1, nothing processed)
        Map<String, byte[]> store = new ConcurrentHashMap<>();
        CountDownLatch lookupWaits = new CountDownLatch(1);
        AgentsCatchUp catchUp = new AgentsCatchUp(
                () -> {
                    lookupWaits.countDown(); // the lookup missed and asks how far the topic goes
                    return Map.of(0, 1L);
                },
                Duration.ofSeconds(30));
        AgentCatalog catalog = new AgentCatalog(new MapStore(store), catchUp);
        AgentDefinition definition = AgentDefinition.newBuilder()
                .setName("fresh")
                .setVersion(1)
                .setModel(ModelSpec.newBuilder().setProvider("scripted").build())
                .setTools(List.of())
                .setLimits(new Limits())
                .build();

        // When a task's lookup misses, and only then the global thread puts the definition into the store
        CompletableFuture<Optional<AgentDefinition>> lookup =
                CompletableFuture.supplyAsync(() -> catalog.find("fresh", 1));
        assertThat(lookupWaits.await(10, TimeUnit.SECONDS)).isTrue();
        store.put(
                Topics.agentKey("fresh", 1), AvroSerde.of(AgentDefinition.class).encode(definition));
        catchUp.processed(0, 0);

        // Then the lookup finds it instead of reporting an unknown agent
        assertThat(lookup.get(10, TimeUnit.SECONDS)).contains(definition);
    }

    /** The agents store as a map (only {@code get} is used for a lookup of a given version). */
    private record MapStore(Map<String, byte[]> map) implements ReadOnlyKeyValueStore<String, byte[]> {

        @Override
        public byte[] get(String key) {
            return map.get(key);
        }

        @Override
        public KeyValueIterator<String, byte[]> range(String from, String to) {
            throw new UnsupportedOperationException();
        }

        @Override
        public KeyValueIterator<String, byte[]> all() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long approximateNumEntries() {
            return map.size();
        }
    }
}
