package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.engine.internal.DeadInstanceFencer;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.testkit.TopicRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * An engine that dies with a transaction open blocks the partitions it wrote until the broker aborts that transaction;
 * the surviving (or next) engine aborts it at once when the group changes ({@link DeadInstanceFencer}).
 */
class DeadInstanceFencingIntegrationTest {

    /** Well under the dead producer's transaction timeout: only the fencer can make the deadline. */
    private static final Duration DEADLINE = Duration.ofSeconds(45);

    private static final int DEAD_TRANSACTION_TIMEOUT_MS = 300_000;

    @Test
    void shouldAbortTheOpenTransactionOfAnEngineThatLeftTheGroupSoItsPartitionsMoveOn() throws Exception {
        String bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, Duration.ofSeconds(30));
        String applicationId = "fence-it-" + UUID.randomUUID();
        AgentDefinition agent = agent("fence-" + UUID.randomUUID(), List.of());
        String ghost = "ghost-" + UUID.randomUUID();
        String waiting = sessionOnTheSamePartitionAs(ghost);
        // Given a dead engine's thread (its transactional id as Streams names it) whose transaction stays open with a
        // task in it, and a task produced after it on the same partition, which read_committed readers cannot see
        String deadId = applicationId + "-" + UUID.randomUUID() + "-1";
        try (KafkaProducer<String, byte[]> dead = transactional(bootstrap, deadId);
                KafkaProducer<String, byte[]> plain = plain(bootstrap);
                var work = TopicRecords.readCommitted(
                        bootstrap,
                        Topics.workTopicName(Topics.MODEL_POOL),
                        Topics.work(Topics.MODEL_POOL).valueSerde().deserializer())) {
            plain.send(new ProducerRecord<>(
                            Topics.AGENTS.name(),
                            Topics.agentKey(agent.getName(), 1),
                            Topics.AGENTS.valueSerde().serializer().serialize("", agent)))
                    .get();
            dead.initTransactions();
            dead.beginTransaction();
            dead.send(task(ghost, agent)).get();
            plain.send(task(waiting, agent)).get();
            try {
                // When an engine of the same application starts (its group changes)
                try (Engine engine =
                        Engine.start(EngineConfig.defaults(bootstrap, Files.createTempDirectory("fence-it"))
                                .withApplicationId(applicationId))) {

                    // Then the waiting session starts long before the dead transaction would time out
                    assertThat(TopicRecords.await(work, waiting, 1, DEADLINE)).hasSize(1);
                    // and the dead thread is fenced: its transaction was aborted, so the ghost task can never commit
                    assertThatThrownBy(dead::commitTransaction).isInstanceOf(KafkaException.class);
                    // and the live engine's own transactions have the name the fencer expects, with a member's process
                    assertThat(ownTransactions(bootstrap, applicationId))
                            .isNotEmpty()
                            .allMatch(id -> DeadInstanceFencer.transactionalIdPattern(applicationId)
                                    .matcher(id)
                                    .matches());
                }
            } finally {
                try {
                    dead.abortTransaction(); // only if the fencer failed: free the shared topic for other tests
                } catch (KafkaException expected) {
                    // fenced, as it should be
                }
            }
        }
    }

    private static List<String> ownTransactions(String bootstrap, String applicationId) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return admin
                    .listTransactions(new ListTransactionsOptions()
                            .filterStates(Set.of(TransactionState.ONGOING, TransactionState.COMPLETE_COMMIT)))
                    .all()
                    .get()
                    .stream()
                    .map(TransactionListing::transactionalId)
                    .filter(id -> id.startsWith(applicationId + "-"))
                    .toList();
        }
    }

    /** A session id whose task lands on the same tasks partition as {@code other}'s. */
    private static String sessionOnTheSamePartitionAs(String other) {
        int partition = partitionOf(other);
        while (true) {
            String id = "waiting-" + UUID.randomUUID();
            if (partitionOf(id) == partition) {
                return id;
            }
        }
    }

    private static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % Topics.SESSION_PARTITIONS;
    }

    private static ProducerRecord<String, byte[]> task(String session, AgentDefinition agent) {
        String json = "{\"agent\":\"" + agent.getName() + "\",\"input\":\"hello\"}";
        return new ProducerRecord<>(Topics.TASKS.name(), session, json.getBytes(StandardCharsets.UTF_8));
    }

    private static KafkaProducer<String, byte[]> transactional(String bootstrap, String transactionalId) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        transactionalId,
                        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                        DEAD_TRANSACTION_TIMEOUT_MS),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    private static KafkaProducer<String, byte[]> plain(String bootstrap) {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new ByteArraySerializer());
    }
}
