package io.agentlog.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkProgress;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.testkit.ChatCompletionsServer;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.model.ModelEndpoint;
import io.agentlog.worker.model.OpenAiModelProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One worker on the default pools ({@code model}, {@code tools}, {@code sandbox}) against a real broker. */
class WorkerIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final java.util.concurrent.atomic.AtomicInteger CHAT_CALLS =
            new java.util.concurrent.atomic.AtomicInteger();

    private static HttpServer server;
    private static ChatCompletionsServer modelServer;
    private static Worker worker;
    private static KafkaFixture.WorkProducer producer;
    private static ResultCollector results;

    @BeforeAll
    static void start() throws IOException {
        KafkaFixture.createTopics(Topics.DEFAULT_POOLS);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/greeting", exchange -> {
            byte[] body = "hello from 127.0.0.1".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        modelServer = ChatCompletionsServer.respondingWith(request -> CHAT_CALLS.incrementAndGet() == 1
                ? new ChatCompletionsServer.Response(
                        503, Map.of(), "{\"error\":{\"message\":\"warming up\",\"type\":\"server_error\"}}")
                : ChatCompletionsServer.Response.ok(ChatCompletionsServer.textReply("Hi from the local model")));
        results = new ResultCollector();
        producer = new KafkaFixture.WorkProducer();
        worker = Worker.start(WorkerConfig.builder()
                .bootstrapServers(KafkaFixture.bootstrap())
                .workerId("it-worker")
                .httpAllowList(Set.of("127.0.0.1:" + server.getAddress().getPort()))
                .retryBackoff(Duration.ofMillis(50))
                .modelEndpoints(List.of(new ModelEndpoint(
                        "local", OpenAiModelProvider.NAME, URI.create(modelServer.baseUrl()), Optional.empty())))
                .build());
    }

    @AfterAll
    static void stop() {
        if (worker != null) {
            worker.close();
        }
        if (producer != null) {
            producer.close();
        }
        if (results != null) {
            results.close();
        }
        server.stop(0);
        modelServer.close();
    }

    @Test
    void shouldAnswerModelAndToolCallsWhenRequestsAreCommitted() {
        // Given
        String modelWork = KafkaFixture.id("model");
        String toolWork = KafkaFixture.id("noop");
        var script = List.of(ScriptedTurn.newBuilder()
                .setText("")
                .setToolCalls(List.of(ToolCall.newBuilder()
                        .setId("")
                        .setName("noop")
                        .setArguments("{}")
                        .build()))
                .build());

        // When
        producer.commit(
                KafkaFixture.scriptedModel(Topics.MODEL_POOL, modelWork, 0, script),
                KafkaFixture.tool(Topics.TOOLS_POOL, toolWork, "noop", "{}", ToolSemantics.IDEMPOTENT));

        // Then
        WorkResult model = results.await(modelWork, TIMEOUT);
        assertThat(model.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ModelReply) model.getResult()).getToolCalls())
                .singleElement()
                .satisfies(call -> assertThat(call.getId()).isEqualTo("call_0_0"));
        assertThat(model.getUsage().getInputTokens()).isEqualTo(3);
        assertThat(model.getWorkerId()).isEqualTo("it-worker");
        assertThat(model.getDeliveryCount()).isEqualTo(1);
        assertThat(model.getCompletedAt()).isAfter(java.time.Instant.now().minusSeconds(120));
        assertThat(results.received(modelWork).getFirst().key()).isEqualTo("session-" + modelWork);

        WorkResult tool = results.await(toolWork, TIMEOUT);
        assertThat(tool.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ToolOutput) tool.getResult()).getContent()).isEqualTo("ok");
    }

    private static io.agentlog.schemas.avro.WorkRequest openAiCall(
            String work, String endpoint, Map<String, String> options) {
        var request = KafkaFixture.scriptedModel(Topics.MODEL_POOL, work, 0, List.of());
        ((ModelCall) request.getRequest())
                .setModel(new ModelSpec(OpenAiModelProvider.NAME, "local-model", null, null, options, endpoint, null));
        return request;
    }

    @Test
    void shouldCallTheNamedEndpointAndRetryWithinTheDeliveryWhenItAnswers503First() {
        // Given a model served by the worker's endpoint 'local', which fails its first call with 503
        String work = KafkaFixture.id("openai");

        // When
        producer.commit(openAiCall(work, "local", Map.of()));

        // Then the worker tries again within the same delivery, after telling the session it is delayed
        WorkResult result = results.await(work, TIMEOUT);
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ModelReply) result.getResult()).getText()).isEqualTo("Hi from the local model");
        assertThat(result.getUsage().getInputTokens()).isEqualTo(12);
        assertThat(result.getUsage().getOutputTokens()).isEqualTo(5);
        assertThat(result.getDeliveryCount()).isEqualTo(1);
        assertThat(CHAT_CALLS).hasValue(2);
        assertThat(results.delayed(work))
                .singleElement()
                .satisfies(delayed -> assertThat(((WorkProgress) delayed.getResult()).getReason())
                        .contains("HTTP 503")
                        .contains("warming up"));
    }

    @Test
    void shouldAnswerErrorAndSendNothingWhenTheModelNamesAUrlOrAnEndpointTheWorkerDoesNotHave() {
        // Given calls that would choose where the worker's key goes: a base URL option, an unknown endpoint
        String byUrl = KafkaFixture.id("by-url");
        String byName = KafkaFixture.id("by-name");
        int callsBefore = modelServer.requests().size();

        // When
        producer.commit(
                openAiCall(byUrl, "", Map.of("baseUrl", modelServer.baseUrl())),
                openAiCall(byName, "collector", Map.of()));

        // Then both are answered with an error that says why, and no request reached the server
        WorkResult refused = results.await(byUrl, TIMEOUT);
        assertThat(refused.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(refused.getError()).contains("no request was sent").contains("model.options.baseUrl is refused");
        WorkResult unknown = results.await(byName, TIMEOUT);
        assertThat(unknown.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(unknown.getError()).contains("model endpoint 'collector' is not defined on this worker");
        assertThat(modelServer.requests()).hasSize(callsBefore);
    }

    @Test
    void shouldSendPoisonToTheDlqAndProcessTheNextRecordWhenARecordCannotBeDecoded() {
        // Given
        String after = KafkaFixture.id("after-poison");
        String poisonKey = KafkaFixture.id("poison");
        byte[] garbage = "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8);
        try (KafkaConsumer<String, byte[]> dlq = KafkaFixture.tail(Topics.DLQ.name())) {

            // When
            producer.commitRaw(Topics.TOOLS_POOL, poisonKey, garbage);
            producer.commit(KafkaFixture.tool(Topics.TOOLS_POOL, after, "noop", "{}", ToolSemantics.IDEMPOTENT));

            // Then
            List<ConsumerRecord<String, byte[]>> dead = new ArrayList<>();
            Awaitility.await("poison record on the DLQ").atMost(TIMEOUT).until(() -> {
                dlq.poll(Duration.ofMillis(100)).forEach(r -> {
                    if (poisonKey.equals(r.key())) {
                        dead.add(r);
                    }
                });
                return !dead.isEmpty();
            });
            ConsumerRecord<String, byte[]> record = dead.getFirst();
            assertThat(record.value()).isEqualTo(garbage);
            assertThat(DlqHeaders.get(record.headers(), DlqHeaders.REASON)).contains("not an Avro single-object");
            assertThat(DlqHeaders.get(record.headers(), DlqHeaders.SOURCE_TOPIC))
                    .isEqualTo("agentlog.work.tools");
            assertThat(DlqHeaders.get(record.headers(), DlqHeaders.COMPONENT)).contains("it-worker");
        }
        assertThat(results.await(after, TIMEOUT).getOutcome()).isEqualTo(WorkOutcome.OK);
    }

    @Test
    void shouldRunSandboxedCodeAndReturnLargeFileChangesWhenTheSandboxPoolServesIt() {
        try (var probe = io.agentlog.worker.sandbox.BubblewrapSandbox.create(
                io.agentlog.worker.sandbox.SandboxLimits.defaults())) {
            io.agentlog.testkit.Prerequisites.require("the bubblewrap sandbox", probe.unavailableReason());
        }
        // Given a bash call with a workspace file, writing a 3 MiB file (more than a producer's default request size)
        String work = KafkaFixture.id("sandbox-bash");
        var request = KafkaFixture.tool(
                Topics.SANDBOX_POOL,
                work,
                "bash",
                "{\"command\": \"cat in.txt; head -c 3145728 /dev/zero | tr '\\\\0' x > big.txt; rm in.txt\"}",
                ToolSemantics.IDEMPOTENT);
        ((io.agentlog.schemas.avro.ToolInvocation) request.getRequest())
                .setFiles(List.of(new io.agentlog.schemas.avro.FileChange(
                        "in.txt", java.nio.ByteBuffer.wrap("from the workspace".getBytes(StandardCharsets.UTF_8)))));

        // When
        producer.commit(request);

        // Then the output and both changes come back through Kafka
        WorkResult result = results.await(work, TIMEOUT);
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        ToolOutput output = (ToolOutput) result.getResult();
        assertThat(output.getIsError()).isFalse();
        assertThat(output.getContent()).startsWith("exit code: 0\n--- stdout ---\nfrom the workspace");
        assertThat(output.getFileChanges()).hasSize(2);
        assertThat(output.getFileChanges().get(0).getPath()).isEqualTo("big.txt");
        assertThat(output.getFileChanges().get(0).getContent().remaining()).isEqualTo(3 * 1024 * 1024);
        assertThat(output.getFileChanges().get(1).getPath()).isEqualTo("in.txt");
        assertThat(output.getFileChanges().get(1).getContent()).isNull();
    }

    @Test
    void shouldFetchAnAllowedHostAndRefuseOthersWhenHttpFetchRuns() {
        // Given
        int port = server.getAddress().getPort();
        String allowed = KafkaFixture.id("fetch-allowed");
        String refused = KafkaFixture.id("fetch-refused");

        // When
        producer.commit(
                KafkaFixture.tool(
                        Topics.TOOLS_POOL,
                        allowed,
                        "http_fetch",
                        "{\"url\":\"http://127.0.0.1:" + port + "/greeting\"}",
                        ToolSemantics.IDEMPOTENT),
                KafkaFixture.tool(
                        Topics.TOOLS_POOL,
                        refused,
                        "http_fetch",
                        "{\"url\":\"http://localhost:" + port + "/greeting\"}",
                        ToolSemantics.IDEMPOTENT));

        // Then
        ToolOutput fetched = (ToolOutput) results.await(allowed, TIMEOUT).getResult();
        assertThat(fetched.getIsError()).isFalse();
        assertThat(fetched.getContent()).startsWith("HTTP 200").endsWith("hello from 127.0.0.1");

        WorkResult refusal = results.await(refused, TIMEOUT);
        assertThat(refusal.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ToolOutput) refusal.getResult()).getIsError()).isTrue();
        assertThat(((ToolOutput) refusal.getResult()).getContent())
                .contains("localhost:" + port + " is not on this worker's allow-list");
    }

    @Test
    void shouldAnswerErrorWhenTheToolIsUnknownInThePool() {
        String work = KafkaFixture.id("unknown-tool");

        producer.commit(KafkaFixture.tool(Topics.TOOLS_POOL, work, "launch_rockets", "{}", ToolSemantics.IDEMPOTENT));

        WorkResult result = results.await(work, TIMEOUT);
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(result.getError()).startsWith("unknown tool launch_rockets in pool tools");
    }

    @Test
    void shouldNeverActOnRequestsOfAbortedTransactions() {
        // Given
        String aborted = KafkaFixture.id("aborted");
        String committed = KafkaFixture.id("committed");

        // When
        producer.abort(KafkaFixture.tool(Topics.TOOLS_POOL, aborted, "noop", "{}", ToolSemantics.IDEMPOTENT));
        producer.commit(KafkaFixture.tool(Topics.TOOLS_POOL, committed, "noop", "{}", ToolSemantics.IDEMPOTENT));

        // Then: the committed one is answered, and by then the aborted one (earlier in the log) would have been
        results.await(committed, TIMEOUT);
        results.pollOnce(Duration.ofMillis(500));
        assertThat(results.received(aborted)).isEmpty();
    }

    @Test
    void shouldAnswerEveryItemOnceWhenManyArriveAtOnce() {
        // Given
        List<String> ids = new ArrayList<>();
        var requests = new ArrayList<io.agentlog.schemas.avro.WorkRequest>();
        for (int i = 0; i < 200; i++) {
            String id = KafkaFixture.id("burst");
            ids.add(id);
            requests.add(KafkaFixture.tool(Topics.TOOLS_POOL, id, "noop", "{}", ToolSemantics.IDEMPOTENT));
        }

        // When
        producer.commit(requests.toArray(io.agentlog.schemas.avro.WorkRequest[]::new));

        // Then
        Awaitility.await("200 results").atMost(TIMEOUT).until(() -> {
            results.pollOnce(Duration.ofMillis(100));
            return ids.stream().allMatch(id -> !results.received(id).isEmpty());
        });
        results.pollOnce(Duration.ofMillis(300));
        assertThat(ids).allSatisfy(id -> assertThat(results.received(id)).hasSize(1));
        assertThat(worker.lostLocks()).isZero();
    }
}
