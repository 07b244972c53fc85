package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.testkit.ChatCompletionsServer;
import io.agentlog.testkit.SharedBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The worker's model credential stays the worker's: a full session on an endpoint with a planted key, then every
 * topic the broker lists (internal ones and changelogs included, read_committed and read_uncommitted), the engine's
 * state directory and the logs of this JVM are searched for the key. And a definition that names a URL or an endpoint
 * the worker does not have fails its session clearly, with no request sent.
 */
class WorkerCredentialsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String KEY =
            "sk-planted-" + UUID.randomUUID().toString().replace("-", "");

    private static ChatCompletionsServer modelServer;
    private static InProcessStack stack;
    private static AgentlogClient client;
    private static final CapturedLogs logs = new CapturedLogs();

    @BeforeAll
    static void startStack() throws Exception {
        logs.start();
        modelServer = ChatCompletionsServer.start(
                body -> answeredByTools(body) ? ChatCompletionsServer.textReply("The note is written.") : """
                        {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"test-model",
                         "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
                           {"id":"call_w","type":"function","function":{"name":"write_file",
                            "arguments":"{\\"path\\":\\"note.txt\\",\\"content\\":\\"hello\\"}"}},
                           {"id":"call_n","type":"function","function":{"name":"noop","arguments":"{}"}}]},
                         "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13}}
                        """);
        stack = InProcessStack.start("credentials", DEADLINE, InProcessStack.withModelEndpoint(modelServer, KEY));
        client = stack.client;
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
        if (modelServer != null) {
            modelServer.close();
        }
        logs.stop();
    }

    @Test
    void shouldFindTheWorkersKeyNowhereButInItsRequestsWhenASessionHasRun() throws Exception {
        // Given an agent on the worker's endpoint, whose key is planted
        String name = "credentials-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: openai, name: test-model, endpoint: %s}
                tools: [write_file, noop]
                """.formatted(name, InProcessStack.MODEL_ENDPOINT), "test"));
        String canary = "canary-" + UUID.randomUUID();

        // When a session runs: two model turns, an inline tool and a worker tool
        SessionResult result =
                client.submitAndWait(AgentlogClient.task(name, canary).build(), DEADLINE);

        // Then it completed, and the endpoint got the key with every request (the test is live)
        assertThat(result.getStatus()).as("result %s", result).isEqualTo(ResultStatus.COMPLETED);
        assertThat(modelServer.requests())
                .hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(request -> assertThat(request.authorization()).contains("Bearer " + KEY));

        // and no topic holds the key, while the scan does find the session's input (the scan is live)
        Map<String, Long> keyHits = new HashMap<>();
        Map<String, Long> canaryHits = new HashMap<>();
        for (String isolation : List.of("read_committed", "read_uncommitted")) {
            scanEveryTopic(isolation, List.of(KEY, canary), (needle, topic) -> {
                (needle.equals(KEY) ? keyHits : canaryHits).merge(topic + " (" + isolation + ")", 1L, Long::sum);
            });
        }
        assertThat(keyHits).as("records holding the key").isEmpty();
        assertThat(canaryHits.keySet())
                .as("the scan sees the session's input")
                .anyMatch(t -> t.startsWith("agentlog.tasks"))
                .anyMatch(t -> t.startsWith("agentlog.events"))
                .anyMatch(t -> t.contains("changelog"));

        // and neither does the engine's state directory, nor any log line of this JVM
        assertThat(filesHolding(stack.stateDir(), KEY))
                .as("state files holding the key")
                .isEmpty();
        assertThat(logs.text()).as("captured logs").isNotEmpty().doesNotContain(KEY);
    }

    @Test
    void shouldFailTheSessionClearlyAndSendNothingWhenTheDefinitionNamesAUrlOrAnUnknownEndpoint() throws Exception {
        // Given a definition naming an endpoint the worker does not have, and one written by hand (past agents put's
        // checks) that points baseUrl at a server of the writer's choosing
        String unknown = "unknown-endpoint-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: openai, name: test-model, endpoint: collector}
                """.formatted(unknown), "test"));
        String byUrl = "by-url-" + UUID.randomUUID();
        AgentDefinition handWritten = AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: openai, name: test-model}
                """.formatted(byUrl), "test");
        handWritten.getModel().setOptions(Map.of("baseUrl", modelServer.baseUrl()));
        client.putAgent(handWritten);
        int requestsBefore = modelServer.requests().size();

        // When sessions run on them
        SessionResult unknownResult =
                client.submitAndWait(AgentlogClient.task(unknown, "hi").build(), DEADLINE);
        SessionResult byUrlResult =
                client.submitAndWait(AgentlogClient.task(byUrl, "hi").build(), DEADLINE);

        // Then both fail, saying why, and no request reached the server
        assertThat(unknownResult.getStatus()).isEqualTo(ResultStatus.FAILED);
        assertThat(unknownResult.getError())
                .contains("model endpoint 'collector' is not defined on this worker, so no request was sent");
        assertThat(byUrlResult.getStatus()).isEqualTo(ResultStatus.FAILED);
        assertThat(byUrlResult.getError()).contains("no request was sent").contains("model.options.baseUrl is refused");
        assertThat(modelServer.requests()).hasSize(requestsBefore);
    }

    /** True once the conversation's last message is a tool result: then the model answers in text. */
    private static boolean answeredByTools(String body) {
        try {
            JsonNode messages = JSON.readTree(body).path("messages");
            return messages.get(messages.size() - 1).path("role").asText().equals("tool");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the scans ----

    private interface Hit {
        void found(String needle, String topic);
    }

    /** Reads every partition of every topic the broker lists, from its start to its end, looking for the needles. */
    private static void scanEveryTopic(String isolation, List<String> needles, Hit hit) throws Exception {
        String bootstrap = SharedBroker.bootstrapServers();
        List<TopicPartition> partitions = new ArrayList<>();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true))
                    .names()
                    .get(30, TimeUnit.SECONDS);
            assertThat(topics).contains("__consumer_offsets", "__transaction_state");
            assertThat(topics).anyMatch(t -> t.endsWith("-changelog"));
            for (TopicDescription topic : admin.describeTopics(topics)
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .values()) {
                topic.partitions().forEach(p -> partitions.add(new TopicPartition(topic.name(), p.partition())));
            }
        }
        List<byte[]> needleBytes =
                needles.stream().map(n -> n.getBytes(StandardCharsets.UTF_8)).toList();
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                isolation,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                8 * 1024 * 1024);
        try (var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            List<TopicPartition> left = new ArrayList<>(partitions);
            while (!left.isEmpty()) {
                assertThat(System.nanoTime() - deadline < 0)
                        .as("read every topic within %s; left: %s", DEADLINE, left)
                        .isTrue();
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    for (int i = 0; i < needles.size(); i++) {
                        if (holds(record, needleBytes.get(i))) {
                            hit.found(needles.get(i), record.topic());
                        }
                    }
                }
                left.removeIf(p -> consumer.position(p) >= end.get(p));
            }
        }
    }

    private static boolean holds(ConsumerRecord<byte[], byte[]> record, byte[] needle) {
        if (contains(record.key(), needle) || contains(record.value(), needle)) {
            return true;
        }
        for (Header header : record.headers()) {
            if (contains(header.value(), needle) || header.key().contains(new String(needle, StandardCharsets.UTF_8))) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        if (haystack == null || haystack.length < needle.length) {
            return false;
        }
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static Set<Path> filesHolding(Path dir, String needle) throws IOException {
        byte[] bytes = needle.getBytes(StandardCharsets.UTF_8);
        Set<Path> found = new TreeSet<>();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile).forEach(file -> {
                try {
                    if (contains(Files.readAllBytes(file), bytes)) {
                        found.add(file);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return found;
    }

    /** Every log event of this JVM while the stack runs, formatted with its stack trace, at DEBUG for agentlog. */
    private static final class CapturedLogs extends AppenderBase<ILoggingEvent> {
        private final StringBuffer text = new StringBuffer();
        private final PatternLayout layout = new PatternLayout();
        private final Map<String, Optional<Level>> levels = new HashMap<>();

        @Override
        public void start() {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            setContext(context);
            layout.setContext(context);
            layout.setPattern("%d %-5level [%thread] %logger - %msg%n%ex");
            layout.start();
            for (String name : List.of("io.agentlog", "dev.langchain4j", "org.apache.kafka")) {
                Logger logger = context.getLogger(name);
                levels.put(name, Optional.ofNullable(logger.getLevel()));
                logger.setLevel(name.equals("org.apache.kafka") ? Level.INFO : Level.DEBUG);
            }
            context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(this);
            super.start();
        }

        @Override
        protected void append(ILoggingEvent event) {
            text.append(layout.doLayout(event));
        }

        String text() {
            return text.toString();
        }

        @Override
        public void stop() {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(this);
            levels.forEach((name, level) -> context.getLogger(name).setLevel(level.orElse(null)));
            super.stop();
        }
    }
}
