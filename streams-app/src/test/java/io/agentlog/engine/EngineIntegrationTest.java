package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.testkit.TopicRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine on a real broker; the test plays the workers' part, reading work requests with a
 * read_committed consumer and answering on the results topic.
 */
class EngineIntegrationTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static Engine engine;
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void startEngine() throws Exception {
        String bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, Duration.ofSeconds(30));
        EngineConfig config = EngineConfig.defaults(bootstrap, Files.createTempDirectory("engine-it"))
                .withApplicationId("engine-it-" + UUID.randomUUID());
        engine = Engine.start(config);
        assertThat(engine.awaitRunning(DEADLINE)).as("engine reaches RUNNING").isTrue();
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stopEngine() {
        if (producer != null) {
            producer.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void shouldRunASessionWithParallelToolCallsToAResultOnTheBroker() throws Exception {
        // Given an agent and a task
        AgentDefinition definition = agent("it-agent-" + UUID.randomUUID(), List.of("noop", "write_file"));
        send(
                Topics.AGENTS.name(),
                Topics.agentKey(definition.getName(), 1),
                Topics.AGENTS.valueSerde().serializer().serialize("", definition));
        String session = "it-" + UUID.randomUUID();
        String json = "{\"agent\":\"" + definition.getName() + "\",\"input\":\"go\"}";

        try (var modelWork = consumer(
                        Topics.workTopicName(Topics.MODEL_POOL),
                        Topics.work("model").valueSerde().deserializer());
                var toolWork = consumer(
                        Topics.workTopicName(Topics.TOOLS_POOL),
                        Topics.work("tools").valueSerde().deserializer());
                var results = consumer(
                        Topics.RESULTS.name(), Topics.RESULTS.valueSerde().deserializer());
                var events = consumer(
                        Topics.EVENTS.name(), Topics.EVENTS.valueSerde().deserializer())) {
            // When the task is produced as plain JSON, and the "workers" answer
            send(Topics.TASKS.name(), session, json.getBytes(StandardCharsets.UTF_8));
            WorkRequest first = awaitOne(modelWork, session);
            answer(
                    session,
                    modelReply(
                            first,
                            "",
                            call("a", "noop", "{}"),
                            call("b", "noop", "{}"),
                            call("c", "write_file", "{\"path\":\"out.txt\",\"content\":\"x\"}")));
            List<WorkRequest> tools = awaitAll(toolWork, session, 2);
            answer(session, toolResult(tools.get(0), "ok a"));
            answer(session, toolResult(tools.get(0), "duplicate"));
            answer(session, toolResult(tools.get(1), "ok b"));
            WorkRequest second = awaitOne(modelWork, session);
            answer(session, modelReply(second, "finished"));

            // Then one terminal record, read downstream with read_committed, and a gapless journal
            SessionResult result = awaitOne(results, session);
            assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
            assertThat(result.getOutput()).isEqualTo("finished");
            assertThat(result.getToolCalls()).isEqualTo(3);
            // started, model requested/responded, 3 tool requests, a file written, 3 tool completions,
            // model requested/responded, ended: the duplicate result left no trace
            List<SessionEvent> journal = awaitAll(events, session, 13);
            assertThat(journal)
                    .extracting(SessionEvent::getSeq)
                    .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
            assertThat(journal.getLast().getEvent()).isInstanceOf(SessionEnded.class);
        }
    }

    @Test
    void shouldDeadLetterUndecodableTasksAndKeepThePartitionFlowing() throws Exception {
        AgentDefinition definition = agent("it-dlq-" + UUID.randomUUID(), List.of());
        send(
                Topics.AGENTS.name(),
                Topics.agentKey(definition.getName(), 1),
                Topics.AGENTS.valueSerde().serializer().serialize("", definition));
        String key = "poison-" + UUID.randomUUID();
        try (var dlq = consumer(Topics.DLQ.name(), new ByteArrayDeserializer());
                var results = consumer(
                        Topics.RESULTS.name(), Topics.RESULTS.valueSerde().deserializer())) {
            // When garbage and then valid tasks land on the same key's partition
            send(Topics.TASKS.name(), key, new byte[] {(byte) 0xC3, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
            send(
                    Topics.TASKS.name(),
                    key,
                    "{\"agent\": \"x\", \"input\": \"y\", \"bogus\": 1}".getBytes(StandardCharsets.UTF_8));
            send(
                    Topics.TASKS.name(),
                    key,
                    ("{\"agent\":\"nobody-" + key + "\",\"input\":\"y\"}").getBytes(StandardCharsets.UTF_8));

            // Then both bad records are in the DLQ with their reasons, and the valid one gets its result
            List<ConsumerRecord<String, byte[]>> dead = awaitRecords(dlq, key, 2);
            assertThat(DlqHeaders.get(dead.get(0).headers(), DlqHeaders.REASON))
                    .contains("cannot decode TaskSubmitted");
            assertThat(DlqHeaders.get(dead.get(1).headers(), DlqHeaders.REASON))
                    .contains("unknown task field(s) [bogus]");
            assertThat(DlqHeaders.get(dead.get(1).headers(), DlqHeaders.SOURCE_TOPIC))
                    .isEqualTo(Topics.TASKS.name());
            SessionResult result = awaitOne(results, key);
            assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.getError()).contains("unknown agent 'nobody-" + key + "'");
        }
    }

    // ---- helpers ----

    private static void send(String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    private static void answer(String session, WorkResult result) throws Exception {
        send(
                Topics.WORK_RESULTS.name(),
                session,
                Topics.WORK_RESULTS.valueSerde().serializer().serialize("", result));
    }

    private static <V> KafkaConsumer<String, V> consumer(String topic, Deserializer<V> values) {
        return TopicRecords.readCommitted(SharedBroker.bootstrapServers(), topic, values);
    }

    private static <V> List<ConsumerRecord<String, V>> awaitRecords(
            KafkaConsumer<String, V> consumer, String key, int n) {
        return TopicRecords.await(consumer, key, n, DEADLINE);
    }

    private static <V> List<V> awaitAll(KafkaConsumer<String, V> consumer, String key, int n) {
        return awaitRecords(consumer, key, n).stream()
                .map(ConsumerRecord::value)
                .toList();
    }

    private static <V> V awaitOne(KafkaConsumer<String, V> consumer, String key) {
        return awaitAll(consumer, key, 1).get(0);
    }
}
