package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.engine.Engine;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.testkit.ChatCompletionsServer;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.testkit.TopicRecords;
import java.time.Duration;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inputs as large as Kafka lets through, which the engine must turn into a clear error without stalling a partition:
 * garbage of the broker's maximum size on an input topic (dead-lettered, although the DLQ record is the same bytes plus
 * headers), and a model reply larger than an event may be. Both once stalled the engine.
 */
class HugeInputTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    /** Just under the broker's default message.max.bytes (1048588), record overhead included. */
    private static final int HUGE = 1_048_000;

    private static final Logger log = LoggerFactory.getLogger(HugeInputTest.class);

    private static Engine engine;
    private static ChatCompletionsServer modelServer;
    private static InProcessStack stack;
    private static AgentlogClient client;

    @BeforeAll
    static void startStack() throws Exception {
        startModelServer();
        stack = InProcessStack.start("huge", DEADLINE, InProcessStack.withModelEndpoint(modelServer, "test-key"));
        engine = stack.engine();
        client = stack.client;
    }

    @AfterAll
    static void stopStack() {
        if (modelServer != null) {
            modelServer.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldDeadLetterHugeGarbageAndKeepThePartitionFlowing() throws Exception {
        // Given an agent
        String name = "huge-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: scripted}
                script:
                  - text: still here
                """.formatted(name), "test"));
        String sessionId = "huge-" + UUID.randomUUID();

        // When a record of random bytes as large as the broker takes (found by trying) lands on the tasks topic,
        // keyed like the session
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * HUGE);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        int size = HUGE + 600;
        byte[] garbage;
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            while (true) {
                garbage = new byte[size];
                new Random(3).nextBytes(garbage);
                try {
                    producer.send(new ProducerRecord<>(Topics.TASKS.name(), sessionId, garbage))
                            .get();
                    break;
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(RecordTooLargeException.class);
                    size -= 8;
                }
            }
        }
        log.info("Produced {} bytes of garbage to {}", size, Topics.TASKS.name());

        // Then a task behind it on the same partition still runs, and the engine is still up
        SessionResult result = client.submitAndWait(
                AgentlogClient.task(name, "hello").setSessionId(sessionId).build(), DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(engine.state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);

        // And the garbage is on the DLQ, whole: its key, every original byte, where it came from and why
        try (var dlq = TopicRecords.readCommitted(
                SharedBroker.bootstrapServers(), Topics.DLQ.name(), new ByteArrayDeserializer())) {
            ConsumerRecord<String, byte[]> dead =
                    TopicRecords.await(dlq, sessionId, 1, DEADLINE).get(0);
            assertThat(dead.value()).hasSize(size).isEqualTo(garbage);
            assertThat(dead.headers().lastHeader(DlqHeaders.TRUNCATED)).isNull();
            assertThat(DlqHeaders.get(dead.headers(), DlqHeaders.SOURCE_TOPIC)).isEqualTo(Topics.TASKS.name());
            assertThat(DlqHeaders.get(dead.headers(), DlqHeaders.REASON))
                    .startsWith("not an Avro single-object encoded TaskSubmitted");
        }
    }

    @Test
    void shouldEndTheSessionClearlyWhenTheModelAnswersWithMoreThanAnEventMayHold() throws Exception {
        // Given an agent whose (OpenAI-compatible) model calls write_file with 1.2 MB of content: the worker accepts
        // results up to MAX_WORK_RECORD_BYTES, agentlog.events and the store changelogs take 1 MiB
        String name = "huge-model-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: openai, name: test-model, endpoint: %s}
                tools: [write_file]
                """.formatted(name, InProcessStack.MODEL_ENDPOINT), "test"));

        // When a session runs
        SessionResult result =
                client.submitAndWait(AgentlogClient.task(name, "write it").build(), DEADLINE);

        // Then it ends (failed or with an error tool result), and the engine is still up
        assertThat(result.getStatus()).isIn(ResultStatus.FAILED, ResultStatus.COMPLETED);
        assertThat(engine.state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);
    }

    private static void startModelServer() throws Exception {
        String content = "a".repeat(1_200_000);
        modelServer = ChatCompletionsServer.start(request -> {
            boolean toolAnswered = request.contains("\"role\":\"tool\"");
            String arguments = "{\\\"path\\\":\\\"big.txt\\\",\\\"content\\\":\\\"" + content + "\\\"}";
            return toolAnswered ? """
                    {"id":"c2","object":"chat.completion","created":1,"model":"test-model",
                     "choices":[{"index":0,"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}],
                     "usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}
                    """ : """
                    {"id":"c1","object":"chat.completion","created":1,"model":"test-model",
                     "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
                       {"id":"call_big","type":"function","function":{"name":"write_file","arguments":"%s"}}]},
                     "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}
                    """.formatted(arguments);
        });
    }
}
