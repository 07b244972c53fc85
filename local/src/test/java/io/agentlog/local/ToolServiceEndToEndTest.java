package io.agentlog.local;

import static io.agentlog.local.SessionRecords.events;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.worker.sdk.ToolCall;
import io.agentlog.worker.sdk.ToolResult;
import io.agentlog.worker.sdk.ToolWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A team's tool service ({@link ToolWorker}) end to end on a real broker: the engine and the default worker in this
 * JVM, and a tool service serving a pool of its own; a scripted agent declares the service's tool with that pool.
 */
class ToolServiceEndToEndTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /** Named per run, so engines of later classes find no worker for it. */
    private static final String POOL = "orders-" + UUID.randomUUID().toString().substring(0, 8);

    private static final String SCHEMA = """
            {"type": "object",
             "properties": {"orderId": {"type": "string", "pattern": "^o-[0-9]+$"}},
             "required": ["orderId"],
             "additionalProperties": false}""";
    private static final Map<String, String> ORDERS = Map.of("o-1001", "o-1001: 2 books, shipped 2026-11-28");

    private static final List<ToolCall> handled = new CopyOnWriteArrayList<>();
    private static InProcessStack stack;
    private static ToolWorker service;

    @BeforeAll
    static void startStackAndService() throws Exception {
        TopicSetup.createAll(SharedBroker.bootstrapServers(), List.of(POOL), (short) 1, Duration.ofSeconds(30));
        stack = InProcessStack.start("tool-service", DEADLINE);
        service = ToolWorker.builder()
                .bootstrapServers(SharedBroker.bootstrapServers())
                .pool(POOL)
                .workerId("orders-service")
                .maxConcurrency(4)
                .tool("lookup_order", SCHEMA, ToolServiceEndToEndTest::lookup)
                .start();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        // each worker's close waits out its consumers' fetch (~5 s): close the service and the stack at once
        Thread closing = Thread.ofVirtual().start(() -> {
            if (service != null) {
                service.close();
            }
        });
        if (stack != null) {
            stack.close();
        }
        closing.join();
    }

    private static ToolResult lookup(ToolCall call) {
        handled.add(call);
        String id = call.arguments().get("orderId").asText();
        String order = ORDERS.get(id);
        return order == null ? ToolResult.error("no order " + id) : ToolResult.ok(order);
    }

    @Test
    void shouldAnswerValidCallsFromTheHandlerAndInvalidOnesWithTheSchemaErrorsWhenAToolServiceServesThePool() {
        // Given an agent whose tool lookup_order goes to the service's pool, and whose first turn calls it twice at
        // once: with an order id, and with a number where the schema wants a string
        String agent = stack.putAgent("tool-service", """
                tools:
                  - name: lookup_order
                    description: Looks up an order by id
                    pool: %s
                    parameters: %s
                limits: {maxToolCallsPerTurn: 2}
                script:
                  - toolCalls:
                      - {id: good, name: lookup_order, arguments: {orderId: o-1001}}
                      - {id: bad, name: lookup_order, arguments: {orderId: 1001}}
                  - text: looked it up
                """.formatted(POOL, SCHEMA.replace("\n", " ")));

        // When a session of it runs
        String session = stack.client.submit(
                AgentlogClient.task(agent, "where is my order?").build());
        SessionResult result = stack.client.awaitResult(session, DEADLINE);

        // Then it completes; the valid call was answered by the handler, on its first delivery, with the key
        assertThat(result.getStatus()).as("%s", result).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("looked it up");
        List<ToolCompleted> completed = events(stack.client.journal(session), ToolCompleted.class);
        ToolCompleted good = completedCall(completed, "good");
        assertThat(good.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(good.getIsError()).isFalse();
        assertThat(good.getContent()).isEqualTo("o-1001: 2 books, shipped 2026-11-28");
        assertThat(handled.stream().filter(call -> call.sessionId().equals(session)))
                .singleElement()
                .satisfies(call -> {
                    assertThat(call.arguments().get("orderId").asText()).isEqualTo("o-1001");
                    assertThat(call.workId()).isEqualTo(good.getWorkId());
                    assertThat(call.idempotencyKey()).isEqualTo(session + "/" + good.getWorkId());
                    assertThat(call.deliveryCount()).isEqualTo(1);
                    assertThat(call.semantics()).isEqualTo(ToolSemantics.IDEMPOTENT);
                });

        // And the call whose arguments do not fit the schema never reached the handler (the session's one handled
        // call is the valid one); the model saw the validation error as that call's result
        ToolCompleted bad = completedCall(completed, "bad");
        assertThat(bad.getIsError()).isTrue();
        assertThat(bad.getContent())
                .isEqualTo("the arguments of lookup_order do not fit its parameters schema: /orderId: integer found,"
                        + " string expected. Call it again with arguments that fit the schema.");
        ModelCall second = SessionRecords.awaitModelCall(session, 1, DEADLINE);
        Message shown = SessionRecords.toolMessage(second, "bad");
        assertThat(shown.getIsError()).isTrue();
        assertThat(shown.getContent()).isEqualTo(bad.getContent());
    }

    @Test
    void shouldRunTheExampleOrdersAgentAgainstAToolServiceOfItsPool() throws Exception {
        // Given the example definition examples/agents/orders-agent.yaml, on this run's pool and under a new name
        String example = Files.readString(Path.of("..", "examples", "agents", "orders-agent.yaml"));
        assertThat(example).contains("\nname: orders\n").contains("pool: orders\n");
        String name = "orders-example-" + UUID.randomUUID();
        stack.client.putAgent(AgentDefinitions.parse(
                example.replace("\nname: orders\n", "\nname: " + name + "\n")
                        .replace("pool: orders\n", "pool: " + POOL + "\n"),
                "examples/agents/orders-agent.yaml"));

        // When a session of it runs
        String session = stack.client.submit(
                AgentlogClient.task(name, "Where is my order o-1001?").build());

        // Then its lookup_order call was answered by the service and the session completes
        SessionResult result = stack.client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).as("%s", result).isEqualTo(ResultStatus.COMPLETED);
        assertThat(events(stack.client.journal(session), ToolCompleted.class))
                .singleElement()
                .satisfies(call -> {
                    assertThat(call.getIsError()).as(call.getContent()).isFalse();
                    assertThat(call.getContent()).isEqualTo(ORDERS.get("o-1001"));
                });
    }

    private static ToolCompleted completedCall(List<ToolCompleted> completed, String toolCallId) {
        return completed.stream()
                .filter(c -> c.getToolCallId().equals(toolCallId))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no completed call " + toolCallId + " in " + completed));
    }
}
