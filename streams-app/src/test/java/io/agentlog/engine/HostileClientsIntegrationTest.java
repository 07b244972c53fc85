package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.modelReply;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.testkit.TopicRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.zip.CRC32;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine on a real broker against clients that do not behave like the Java client: producers that partition
 * keys with another hash (librdkafka's CRC32, the default of Python, Go, .NET and kcat clients), and a topic that
 * accepts smaller records than the engine writes.
 */
class HostileClientsIntegrationTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static Engine engine;
    private static KafkaProducer<String, byte[]> crc32Producer;
    private static KafkaProducer<String, byte[]> javaProducer;
    private static AgentDefinition agent;

    /** librdkafka's default for keyed records ({@code consistent_random}): CRC32 of the key bytes. */
    public static final class Crc32Partitioner implements Partitioner {
        @Override
        public int partition(
                String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
            return crc32Partition(keyBytes, cluster.partitionCountForTopic(topic));
        }

        @Override
        public void close() {}

        @Override
        public void configure(Map<String, ?> configs) {}
    }

    static int crc32Partition(byte[] key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key);
        return (int) (crc.getValue() % partitions);
    }

    @BeforeAll
    static void start() throws Exception {
        String bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, Duration.ofSeconds(30));
        engine = Engine.start(EngineConfig.defaults(bootstrap, Files.createTempDirectory("hostile-it"))
                .withApplicationId("hostile-it-" + UUID.randomUUID()));
        assertThat(engine.awaitRunning(DEADLINE)).as("engine reaches RUNNING").isTrue();
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        javaProducer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        props.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, Crc32Partitioner.class.getName());
        crc32Producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        agent = agent("hostile-" + UUID.randomUUID(), List.of());
        javaProducer
                .send(new ProducerRecord<>(
                        Topics.AGENTS.name(),
                        Topics.agentKey(agent.getName(), 1),
                        Topics.AGENTS.valueSerde().serializer().serialize("", agent)))
                .get();
    }

    @AfterAll
    static void stop() {
        if (crc32Producer != null) {
            crc32Producer.close();
            javaProducer.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void shouldRunASessionWhoseTaskAndControlWereProducedWithAnotherPartitioner() throws Exception {
        // Given a session id that CRC32 and murmur2 put on different partitions
        String session = misplacedSessionId();
        try (var work = TopicRecords.readCommitted(
                        SharedBroker.bootstrapServers(),
                        Topics.workTopicName(Topics.MODEL_POOL),
                        Topics.work(Topics.MODEL_POOL).valueSerde().deserializer());
                var results = results()) {
            // When its task is produced by a CRC32 client, and a steer too
            crc32Producer.send(task(session, null)).get();
            WorkRequest call =
                    TopicRecords.await(work, session, 1, DEADLINE).get(0).value();
            crc32Producer.send(control(session, "STEER", "and be brief")).get();

            // Then the work result (keyed and partitioned by a Java worker) meets the session's state
            javaProducer.send(workResult(modelReply(call, "done"))).get();
            SessionResult result =
                    TopicRecords.await(results, session, 1, DEADLINE).get(0).value();
            assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
            assertThat(result.getOutput()).isEqualTo("done");
        }
    }

    @Test
    void shouldEndASessionWhoseWorkNeverComesBackAtItsWallTimeDeadline() throws Exception {
        // Given a CRC32-produced task with a 3 s wall-time budget, whose model call nobody answers
        String session = misplacedSessionId();
        try (var results = results()) {
            crc32Producer.send(task(session, 3000L)).get();

            // Then it ends at its deadline
            SessionResult result =
                    TopicRecords.await(results, session, 1, DEADLINE).get(0).value();
            assertThat(result.getStatus()).isEqualTo(ResultStatus.BUDGET_EXCEEDED);
            assertThat(result.getError()).contains("wall time limit of 3000 ms");
        }
    }

    @Test
    void shouldFailASessionWhoseRecordATopicRefusesAndKeepThePartitionFlowing() throws Exception {
        // Given a results topic that accepts only 100 KB records (an operator's setting below the engine's)
        String big = "answer-" + UUID.randomUUID();
        String small = "answer-" + UUID.randomUUID();
        try (Admin admin = Admin.create(
                        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers()));
                var work = TopicRecords.readCommitted(
                        SharedBroker.bootstrapServers(),
                        Topics.workTopicName(Topics.MODEL_POOL),
                        Topics.work(Topics.MODEL_POOL).valueSerde().deserializer());
                var results = results()) {
            setResultsLimit(admin, "100000");
            try {
                // When a session's final answer makes a 200 KB result record
                javaProducer.send(task(big, null)).get();
                WorkRequest call =
                        TopicRecords.await(work, big, 1, DEADLINE).get(0).value();
                javaProducer
                        .send(workResult(modelReply(call, "x".repeat(200_000))))
                        .get();

                // Then the session ends FAILED with the reason, instead of failing its transaction forever
                SessionResult failed =
                        TopicRecords.await(results, big, 1, DEADLINE).get(0).value();
                assertThat(failed.getStatus()).isEqualTo(ResultStatus.FAILED);
                assertThat(failed.getError()).contains("could not be written").contains(Topics.RESULTS.name());

                // and a session after it completes
                javaProducer.send(task(small, null)).get();
                WorkRequest next =
                        TopicRecords.await(work, small, 1, DEADLINE).get(0).value();
                javaProducer.send(workResult(modelReply(next, "short"))).get();
                assertThat(TopicRecords.await(results, small, 1, DEADLINE)
                                .get(0)
                                .value()
                                .getStatus())
                        .isEqualTo(ResultStatus.COMPLETED);
            } finally {
                setResultsLimit(admin, String.valueOf(Topics.maxRecordBytes(Topics.RESULTS.name())));
            }
        }
    }

    private static void setResultsLimit(Admin admin, String bytes) throws Exception {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.RESULTS.name());
        admin.incrementalAlterConfigs(Map.of(
                        topic,
                        List.of(new AlterConfigOp(
                                new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, bytes),
                                AlterConfigOp.OpType.SET))))
                .all()
                .get();
    }

    /** A fresh session id whose CRC32 partition differs from its murmur2 partition. */
    private static String misplacedSessionId() {
        while (true) {
            String id = "crc-" + UUID.randomUUID();
            byte[] key = id.getBytes(StandardCharsets.UTF_8);
            int partitions = Topics.SESSION_PARTITIONS;
            if (crc32Partition(key, partitions) != Utils.toPositive(Utils.murmur2(key)) % partitions) {
                return id;
            }
        }
    }

    private static ProducerRecord<String, byte[]> task(String session, Long maxWallTimeMs) {
        String budget = maxWallTimeMs == null ? "" : ",\"budget\":{\"maxWallTimeMs\":" + maxWallTimeMs + "}";
        String json = "{\"agent\":\"" + agent.getName() + "\",\"input\":\"hello\"" + budget + "}";
        return new ProducerRecord<>(Topics.TASKS.name(), session, json.getBytes(StandardCharsets.UTF_8));
    }

    private static ProducerRecord<String, byte[]> control(String session, String type, String message) {
        String json = "{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}";
        return new ProducerRecord<>(Topics.CONTROL.name(), session, json.getBytes(StandardCharsets.UTF_8));
    }

    private static ProducerRecord<String, byte[]> workResult(io.agentlog.schemas.avro.WorkResult result) {
        return new ProducerRecord<>(
                Topics.WORK_RESULTS.name(),
                result.getSessionId(),
                Topics.WORK_RESULTS.valueSerde().serializer().serialize("", result));
    }

    private static KafkaConsumer<String, SessionResult> results() {
        return TopicRecords.readCommitted(
                SharedBroker.bootstrapServers(),
                Topics.RESULTS.name(),
                Topics.RESULTS.valueSerde().deserializer());
    }
}
