package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.engine.Engine;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.StreamChunk;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.testkit.ChatCompletionsServer;
import io.agentlog.testkit.MessagesApiServer;
import io.agentlog.testkit.Prerequisites;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.testkit.TopicRecords;
import io.agentlog.worker.sandbox.BubblewrapSandbox;
import io.agentlog.worker.sandbox.SandboxLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole system on a real broker: the engine and real workers in this JVM, tasks in, results
 * read downstream with a plain read_committed consumer.
 */
class EndToEndTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Engine engine;
    private static InProcessStack stack;
    private static AgentlogClient client;
    private static ChatCompletionsServer modelServer;
    private static MessagesApiServer messagesServer;
    private static final List<JsonNode> messagesRequests = new CopyOnWriteArrayList<>();
    private static final List<JsonNode> modelRequests = new CopyOnWriteArrayList<>();
    private static final String STREAMED_ASK = "answer at length ";
    private static final String STREAMED_ANSWER = "The quarterly report is written. "
            + "It has sections on revenue, costs and plans, and a summary for the board. ".repeat(4);

    @BeforeAll
    static void startStack() throws Exception {
        startModelServer();
        startMessagesServer();
        stack = InProcessStack.start(
                "e2e", DEADLINE, InProcessStack.withModelEndpoints(modelServer, messagesServer, "test-key"));
        engine = stack.engine();
        client = stack.client;
    }

    @AfterAll
    static void stopStack() {
        if (modelServer != null) {
            modelServer.close();
        }
        if (messagesServer != null) {
            messagesServer.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldStartSessionsSubmittedTheMomentTheirAgentIsRegistered() {
        // Given agents registered one after another, each with a task sent the moment its definition is written
        // (the engine's stream thread may see the task before its global thread sees the definition)
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String name = "e2e-fresh-" + UUID.randomUUID();
            client.putAgent(AgentDefinitions.parse("""
                    name: %s
                    version: 1
                    model: {provider: scripted}
                    script: [{text: registered in time}]
                    """.formatted(name), "test"));
            sessions.add(client.submit(AgentlogClient.task(name, "go").build()));
        }

        // Then every one of them runs: none ends "unknown agent"
        assertThat(sessions).allSatisfy(session -> {
            SessionResult result = client.awaitResult(session, DEADLINE);
            assertThat(result.getStatus()).as("%s", result).isEqualTo(ResultStatus.COMPLETED);
        });
    }

    @Test
    void shouldRunAScriptedAgentThatCallsTwoToolsInParallelThenAnswers() throws Exception {
        // Given a scripted agent whose first turn calls two worker tools at once
        String name = "e2e-parallel-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: scripted}
                tools: [noop, write_file]
                script:
                  - toolCalls:
                      - {name: noop, arguments: {n: 1}}
                      - {name: noop, arguments: {n: 2}}
                  - text: both tools answered
                """.formatted(name), "test"));

        String session;
        try (var results =
                consumer(Topics.RESULTS.name(), Topics.RESULTS.valueSerde().deserializer())) {
            // When a task is submitted
            session = client.submit(AgentlogClient.task(name, "run both").build());

            // Then the result arrives downstream, after both tool calls ran
            SessionResult result = awaitOne(results, session);
            assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
            assertThat(result.getOutput()).isEqualTo("both tools answered");
            assertThat(result.getSteps()).isEqualTo(2);
            assertThat(result.getToolCalls()).isEqualTo(2);
        }
        List<SessionEvent> journal = new ArrayList<>();
        client.watch(session, DEADLINE, journal::add);
        assertThat(journal)
                .extracting(SessionEvent::getEvent)
                .filteredOn(ToolRequested.class::isInstance)
                .hasSize(2);
        // both were requested before either completed: they ran in parallel
        int lastRequest = indexOfLast(journal, ToolRequested.class);
        int firstCompletion = indexOfFirst(journal, ToolCompleted.class);
        assertThat(lastRequest).isLessThan(firstCompletion);
    }

    @Test
    void shouldRunTwoSubAgentsInParallelAndGiveTheParentTheirAnswers() throws Exception {
        // Given a scripted helper and a parent whose first turn spawns two of them
        String helper = "e2e-helper-" + UUID.randomUUID();
        String parentAgent = "e2e-parent-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: scripted}
                tools: [list_files]
                script:
                  - text: forty-two
                """.formatted(helper), "test"));
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: scripted}
                tools: [spawn_agent]
                limits: {maxTokens: 100000}
                script:
                  - toolCalls:
                      - {id: a, name: spawn_agent, arguments: {agent: %s, input: "first question"}}
                      - {id: b, name: spawn_agent, arguments: {agent: %s, input: "second question"}}
                  - text: both helpers answered
                """.formatted(parentAgent, helper, helper), "test"));

        // When the parent runs
        String parent =
                client.submit(AgentlogClient.task(parentAgent, "delegate").build());

        // Then both children ran as sessions of their own and the parent completed with their answers
        SessionResult result = client.awaitResult(parent, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("both helpers answered");
        for (String child : List.of(parent + ":w1", parent + ":w2")) {
            SessionResult childResult = client.awaitResult(child, DEADLINE);
            assertThat(childResult.getStatus()).isEqualTo(ResultStatus.COMPLETED);
            assertThat(childResult.getParentSessionId()).isEqualTo(parent);
        }
        List<SessionEvent> journal = new ArrayList<>();
        client.watch(parent, DEADLINE, journal::add);
        assertThat(journal)
                .extracting(SessionEvent::getEvent)
                .filteredOn(ToolCompleted.class::isInstance)
                .extracting(e -> ((ToolCompleted) e).getContent())
                .containsExactlyInAnyOrder("forty-two", "forty-two");
        // the children's tokens count in the parent's usage (two parent turns and two child turns)
        assertThat(result.getUsage().getInputTokens()).isGreaterThan(0);
    }

    @Test
    void shouldRoundTripThroughAnOpenAiCompatibleServerWithAToolCall() throws Exception {
        // Given an agent on the OpenAI-compatible provider, on the worker's endpoint for a local server
        String name = "e2e-openai-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: openai, name: test-model, endpoint: %s}
                systemPrompt: Use the tools.
                tools: [noop]
                """.formatted(name, InProcessStack.MODEL_ENDPOINT), "test"));
        modelRequests.clear();
        String input = "call the tool " + UUID.randomUUID();

        // When a task runs
        SessionResult result =
                client.submitAndWait(AgentlogClient.task(name, input).build(), DEADLINE);

        // Then the model was asked twice, the second time with the tool's result, and answered
        assertThat(result.getStatus()).as("result %s", result).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("The tool said ok.");
        assertThat(result.getUsage().getInputTokens()).isEqualTo(24);
        // (the worker's endpoint serves every session on this broker: the engines of earlier test classes' stacks
        // left tasks that this stack's engine picks up too, so count this session's requests)
        List<JsonNode> ofThisSession = modelRequests.stream()
                .filter(request -> request.path("messages").toString().contains(input))
                .toList();
        assertThat(ofThisSession).hasSize(2);
        JsonNode first = ofThisSession.get(0);
        assertThat(first.path("model").asText()).isEqualTo("test-model");
        assertThat(first.path("tools").get(0).path("function").path("name").asText())
                .isEqualTo("noop");
        JsonNode second = ofThisSession.get(1).path("messages");
        JsonNode toolMessage = second.get(second.size() - 1);
        assertThat(toolMessage.path("role").asText()).isEqualTo("tool");
        assertThat(toolMessage.path("tool_call_id").asText()).isEqualTo("call_abc");
        assertThat(toolMessage.path("content").asText()).isEqualTo("ok");
    }

    @Test
    void shouldRoundTripThroughAMessagesApiServerWithAToolCall() {
        // Given an agent on the anthropic provider, on the worker's endpoint for a local Messages API server
        String name = "e2e-anthropic-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: anthropic, name: test-model, endpoint: %s}
                systemPrompt: Use the tools.
                tools: [noop]
                """.formatted(name, InProcessStack.ANTHROPIC_ENDPOINT), "test"));
        String input = "call the tool " + UUID.randomUUID();

        // When a task runs
        SessionResult result =
                client.submitAndWait(AgentlogClient.task(name, input).build(), DEADLINE);

        // Then the model was asked twice (streamed), the second time with the tool's result, and answered; the usage
        // counts the cache reads as input, as the openai provider does
        assertThat(result.getStatus()).as("result %s", result).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("Claude says the tool said ok.");
        assertThat(result.getUsage().getInputTokens()).isEqualTo(24);
        assertThat(result.getUsage().getCachedInputTokens()).isEqualTo(10);
        List<JsonNode> ofThisSession = messagesRequests.stream()
                .filter(request -> request.path("messages").toString().contains(input))
                .toList();
        assertThat(ofThisSession).hasSize(2);
        assertThat(ofThisSession.get(0).path("stream").asBoolean()).isTrue();
        assertThat(ofThisSession.get(0).path("tools").get(0).path("name").asText())
                .isEqualTo("noop");
        JsonNode second = ofThisSession.get(1).path("messages");
        JsonNode toolResult = second.get(second.size() - 1).path("content").get(0);
        assertThat(toolResult.path("type").asText()).isEqualTo("tool_result");
        assertThat(toolResult.path("tool_use_id").asText()).isEqualTo("toolu_abc");
    }

    @Test
    void shouldStreamAnOpenAiAnswerToTheStreamTopicAndJournalItOnce() throws Exception {
        // Given an agent on the OpenAI-compatible provider, whose endpoint streams a long answer word by word
        String name = "e2e-openai-stream-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: openai, name: test-model, endpoint: %s}
                systemPrompt: Answer at length.
                """.formatted(name, InProcessStack.MODEL_ENDPOINT), "test"));

        try (var stream = consumer(Topics.STREAM.name(), new StringDeserializer())) {
            // When a task asks for the long answer
            String session = client.submit(
                    AgentlogClient.task(name, STREAMED_ASK + UUID.randomUUID()).build());
            SessionResult result = client.awaitResult(session, DEADLINE);

            // Then the answer went to agentlog.stream in numbered chunks of one attempt, which make the answer
            assertThat(result.getStatus()).as("result %s", result).isEqualTo(ResultStatus.COMPLETED);
            assertThat(result.getOutput()).isEqualTo(STREAMED_ANSWER);
            List<StreamChunk> chunks = new ArrayList<>();
            Awaitility.await("the streamed chunks of session " + session)
                    .atMost(DEADLINE)
                    .until(
                            () -> {
                                stream.poll(Duration.ofMillis(100)).forEach(record -> {
                                    if (session.equals(record.key())) {
                                        StreamChunk.fromJson(record.value()).ifPresent(chunks::add);
                                    }
                                });
                                return chunks.stream().map(StreamChunk::text).collect(Collectors.joining());
                            },
                            STREAMED_ANSWER::equals);
            assertThat(chunks).hasSizeGreaterThan(2);
            assertThat(chunks)
                    .extracting(StreamChunk::attempt)
                    .containsOnly(chunks.getFirst().attempt());
            assertThat(chunks)
                    .extracting(StreamChunk::index)
                    .containsExactlyElementsOf(
                            IntStream.range(0, chunks.size()).boxed().toList());

            // And the journal has the answer once, as one ModelResponded
            List<SessionEvent> journal = new ArrayList<>();
            client.watch(session, DEADLINE, journal::add);
            assertThat(journal)
                    .extracting(SessionEvent::getEvent)
                    .filteredOn(ModelResponded.class::isInstance)
                    .singleElement()
                    .satisfies(event -> {
                        assertThat(((ModelResponded) event).getText()).isEqualTo(STREAMED_ANSWER);
                        assertThat(((ModelResponded) event).getWorkId())
                                .isEqualTo(chunks.getFirst().workId());
                    });
        }
    }

    @Test
    void shouldRunTheCodingExampleThroughTheSandbox() throws Exception {
        // Given the example agent that writes a buggy program, runs it, fixes it and runs it again
        try (BubblewrapSandbox probe = BubblewrapSandbox.create(SandboxLimits.defaults())) {
            Prerequisites.require("the bubblewrap sandbox", probe.unavailableReason());
        }
        AgentDefinition coder =
                AgentDefinitions.load(java.nio.file.Path.of("..", "examples", "agents", "coder-agent.yaml"));
        coder.setName("e2e-coder-" + UUID.randomUUID());
        client.putAgent(coder);

        // When it runs
        String session = client.submit(
                AgentlogClient.task(coder.getName(), "write and test mean()").build());
        SessionResult result = client.awaitResult(session, DEADLINE);

        // Then the first run failed in the sandbox, the fixed one passed and its output file is in the workspace
        assertThat(result.getStatus()).as("result %s", result).isEqualTo(ResultStatus.COMPLETED);
        List<SessionEvent> journal = new ArrayList<>();
        client.watch(session, DEADLINE, journal::add);
        List<ToolCompleted> tools = journal.stream()
                .map(SessionEvent::getEvent)
                .filter(ToolCompleted.class::isInstance)
                .map(ToolCompleted.class::cast)
                .toList();
        assertThat(tools)
                .extracting(ToolCompleted::getTool)
                .containsExactly("write_file", "run_python", "edit_file", "bash", "read_file");
        assertThat(tools.get(1).getIsError()).isTrue();
        assertThat(tools.get(1).getContent()).contains("should be 4");
        assertThat(tools.get(3).getIsError()).isFalse();
        assertThat(tools.get(3).getContent()).contains("all checks passed");
        assertThat(tools.get(4).getContent()).isEqualTo("mean=4.0\n");
    }

    @Test
    void shouldHandleBadInputOnEveryInputTopicAndKeepFlowing() throws Exception {
        String name = "e2e-bad-" + UUID.randomUUID();
        // (the definition loader refuses a script that names an unknown tool, so the script is set here,
        // standing in for a real model that makes one up)
        AgentDefinition confused = AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: scripted}
                tools: [noop]
                script:
                  - text: recovered
                """.formatted(name), "test");
        confused.setScript(List.of(
                new ScriptedTurn("", List.of(new ToolCall("call_0_0", "not_a_tool", "{}"))),
                confused.getScript().get(0)));
        client.putAgent(confused);
        String key = "bad-" + UUID.randomUUID();
        try (var producer = rawProducer();
                var dlq = consumer(Topics.DLQ.name(), new ByteArrayDeserializer())) {
            // When garbage lands on every topic the engine reads, and on a worker pool's topic
            byte[] garbage = {(byte) 0xC3, 1, 42, 42, 42, 42, 42, 42, 42, 42, 42};
            for (String topic : List.of(
                    Topics.TASKS.name(),
                    Topics.CONTROL.name(),
                    Topics.WORK_RESULTS.name(),
                    Topics.workTopicName(Topics.TOOLS_POOL))) {
                producer.send(new ProducerRecord<>(topic, key, garbage)).get();
            }

            // Then each is in the DLQ once: its key, its original bytes, the topic it came from and a reason that
            // names the type it could not be decoded as
            List<ConsumerRecord<String, byte[]>> dead = awaitRecords(dlq, key, 4);
            assertThat(dead).hasSize(4).allSatisfy(r -> {
                assertThat(r.key()).isEqualTo(key);
                assertThat(r.value()).isEqualTo(garbage);
                assertThat(r.headers().lastHeader(DlqHeaders.TRUNCATED)).isNull();
            });
            Map<String, String> reasonByTopic = dead.stream()
                    .collect(Collectors.toMap(
                            r -> DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_TOPIC),
                            r -> DlqHeaders.get(r.headers(), DlqHeaders.REASON)));
            assertThat(reasonByTopic)
                    .containsOnlyKeys(
                            Topics.TASKS.name(),
                            Topics.CONTROL.name(),
                            Topics.WORK_RESULTS.name(),
                            Topics.workTopicName(Topics.TOOLS_POOL));
            assertThat(reasonByTopic.get(Topics.TASKS.name())).contains("TaskSubmitted");
            assertThat(reasonByTopic.get(Topics.CONTROL.name())).contains("ControlCommand");
            assertThat(reasonByTopic.get(Topics.WORK_RESULTS.name())).contains("WorkResult");
            assertThat(reasonByTopic.get(Topics.workTopicName(Topics.TOOLS_POOL)))
                    .contains("WorkRequest");
        }

        // And an unknown agent fails its session clearly
        SessionResult unknown = client.submitAndWait(
                AgentlogClient.task("no-such-agent-" + key, "x").build(), DEADLINE);
        assertThat(unknown.getStatus()).isEqualTo(ResultStatus.FAILED);
        assertThat(unknown.getError()).contains("unknown agent 'no-such-agent-" + key + "'");

        // And a model that calls an unknown tool gets an error result and carries on
        SessionResult recovered =
                client.submitAndWait(AgentlogClient.task(name, "x").build(), DEADLINE);
        assertThat(recovered.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(recovered.getOutput()).isEqualTo("recovered");
    }

    @Test
    void shouldRunOneSessionWhenTheSameIdempotencyKeyIsSubmittedTwice() throws Exception {
        // Given an agent and a task with an idempotency key
        String name = "e2e-once-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: scripted}
                script:
                  - text: done once
                """.formatted(name), "test"));
        TaskSubmitted task = AgentlogClient.task(name, "charge the card")
                .setIdempotencyKey("order-" + UUID.randomUUID())
                .build();
        try (var results = consumer(
                        Topics.RESULTS.name(), Topics.RESULTS.valueSerde().deserializer());
                var events = consumer(
                        Topics.EVENTS.name(), Topics.EVENTS.valueSerde().deserializer())) {

            // When it is submitted twice at once, and a third time after its session ended
            String first = client.submit(task);
            String second = client.submit(task);
            SessionResult result = client.awaitResult(first, DEADLINE);
            String third = client.submit(task);
            // (a later task on the same partition of agentlog.tasks ends only after the engine has handled the
            // repeats before it, so everything they could have caused is written by the time it ends)
            String later = SessionRecords.onSamePartitionAs(first, "e2e-later-");
            assertThat(client.submitAndWait(
                                    AgentlogClient.task(name, "later")
                                            .setSessionId(later)
                                            .build(),
                                    DEADLINE)
                            .getStatus())
                    .isEqualTo(ResultStatus.COMPLETED);

            // Then one key named one session, which ran once: one result, one SessionStarted
            assertThat(second).isEqualTo(first);
            assertThat(third).isEqualTo(first);
            assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
            assertThat(recordsUntil(results, first, later, r -> true))
                    .singleElement()
                    .satisfies(r -> assertThat(r.getSessionId()).isEqualTo(first));
            List<SessionEvent> journal = recordsUntil(events, first, later, e -> e.getEvent() instanceof SessionEnded);
            assertThat(journal)
                    .filteredOn(e -> e.getEvent() instanceof SessionStarted)
                    .singleElement()
                    .satisfies(e -> assertThat(e.getSessionId()).isEqualTo(first));
            assertThat(journal)
                    .filteredOn(e -> e.getEvent() instanceof SessionEnded)
                    .hasSize(1);
        }
    }

    /**
     * The values of {@code key} read from the start of the topic until a value of {@code untilKey} that {@code last}
     * accepts; the two keys share a partition, so every earlier record of {@code key} has been read by then.
     */
    private static <V> List<V> recordsUntil(
            KafkaConsumer<String, V> consumer, String key, String untilKey, Predicate<V> last) {
        List<V> found = new ArrayList<>();
        boolean[] done = {false};
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!done[0]) {
            assertThat(System.nanoTime() - deadline)
                    .as("a record of %s on %s within %s", untilKey, consumer.subscription(), DEADLINE)
                    .isNegative();
            consumer.poll(Duration.ofMillis(100)).forEach(record -> {
                if (done[0]) {
                    return;
                }
                if (key.equals(record.key())) {
                    found.add(record.value());
                } else if (untilKey.equals(record.key()) && last.test(record.value())) {
                    done[0] = true;
                }
            });
        }
        return found;
    }

    // ---- the OpenAI-compatible server ----

    private static void startMessagesServer() throws Exception {
        messagesServer = MessagesApiServer.respondingWith(request -> {
            JsonNode body = request.json();
            messagesRequests.add(body);
            JsonNode messages = body.path("messages");
            boolean toolAnswered = messages.get(messages.size() - 1).toString().contains("\"tool_result\"");
            return ChatCompletionsServer.Response.ok(toolAnswered ? """
                    {"id":"msg_2","type":"message","role":"assistant","model":"test-model",
                     "content":[{"type":"text","text":"Claude says the tool said ok."}],"stop_reason":"end_turn",
                     "usage":{"input_tokens":4,"output_tokens":6,"cache_read_input_tokens":10,"cache_creation_input_tokens":0}}
                    """ : """
                    {"id":"msg_1","type":"message","role":"assistant","model":"test-model",
                     "content":[{"type":"tool_use","id":"toolu_abc","name":"noop","input":{}}],"stop_reason":"tool_use",
                     "usage":{"input_tokens":10,"output_tokens":3,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}
                    """);
        });
    }

    private static void startModelServer() throws Exception {
        modelServer = ChatCompletionsServer.start(body -> {
            JsonNode request = readJson(body);
            modelRequests.add(request);
            JsonNode messages = request.path("messages");
            JsonNode last = messages.get(messages.size() - 1);
            if (last.path("content").asText().startsWith(STREAMED_ASK)) {
                return ChatCompletionsServer.textReply(STREAMED_ANSWER);
            }
            boolean toolAnswered = last.path("role").asText().equals("tool");
            return toolAnswered ? """
                    {"id":"chatcmpl-2","object":"chat.completion","created":1,"model":"test-model",
                     "choices":[{"index":0,"message":{"role":"assistant","content":"The tool said ok."},
                     "finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":5,"total_tokens":19}}
                    """ : """
                    {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"test-model",
                     "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
                       {"id":"call_abc","type":"function","function":{"name":"noop","arguments":"{}"}}]},
                     "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13}}
                    """;
        });
    }

    private static JsonNode readJson(String body) {
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---- helpers ----

    private static int indexOfLast(List<SessionEvent> journal, Class<?> type) {
        int found = -1;
        for (int i = 0; i < journal.size(); i++) {
            if (type.isInstance(journal.get(i).getEvent())) {
                found = i;
            }
        }
        return found;
    }

    private static int indexOfFirst(List<SessionEvent> journal, Class<?> type) {
        for (int i = 0; i < journal.size(); i++) {
            if (type.isInstance(journal.get(i).getEvent())) {
                return i;
            }
        }
        return -1;
    }

    private static KafkaProducer<String, byte[]> rawProducer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers());
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static <V> KafkaConsumer<String, V> consumer(String topic, Deserializer<V> values) {
        return TopicRecords.readCommitted(SharedBroker.bootstrapServers(), topic, values);
    }

    private static <V> List<ConsumerRecord<String, V>> awaitRecords(
            KafkaConsumer<String, V> consumer, String key, int n) {
        return TopicRecords.await(consumer, key, n, DEADLINE);
    }

    private static <V> V awaitOne(KafkaConsumer<String, V> consumer, String key) {
        return awaitRecords(consumer, key, 1).get(0).value();
    }
}
