package io.agentlog.worker.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The SDK's adapter without Kafka: schema compilation, argument validation before the handler, and its answers. */
class SchemaToolTest {

    private static final String ORDER_SCHEMA = """
            {"type": "object",
             "properties": {"orderId": {"type": "string", "pattern": "^o-[0-9]+$"},
                            "limit": {"type": "integer", "minimum": 1}},
             "required": ["orderId"],
             "additionalProperties": false}
            """;
    private static final Instant DEADLINE = Instant.parse("2026-11-30T12:00:00Z");

    private final List<ToolCall> calls = new CopyOnWriteArrayList<>();

    @Test
    void shouldPassValidArgumentsAndTheCallsKeysToTheHandler() {
        // Given a tool whose handler echoes the order id
        SchemaTool tool = tool(
                call -> ToolResult.ok("order " + call.arguments().get("orderId").asText()));

        // When it is called with arguments that fit the schema, on a second delivery
        ToolOutput output = tool.run(
                invocation("{\"orderId\": \"o-42\"}", ToolSemantics.AT_MOST_ONCE),
                new WorkContext("s-1", "w-7", "s-1/w-7", DEADLINE, "worker-1", 2));

        // Then the handler ran with the parsed arguments and the call's identity, and its text is the result
        assertThat(output.getIsError()).isFalse();
        assertThat(output.getContent()).isEqualTo("order o-42");
        assertThat(calls).singleElement().satisfies(call -> {
            assertThat(call.tool()).isEqualTo("lookup_order");
            assertThat(call.arguments().get("orderId").asText()).isEqualTo("o-42");
            assertThat(call.sessionId()).isEqualTo("s-1");
            assertThat(call.workId()).isEqualTo("w-7");
            assertThat(call.idempotencyKey()).isEqualTo("s-1/w-7");
            assertThat(call.deliveryCount()).isEqualTo(2);
            assertThat(call.deadline()).isEqualTo(DEADLINE);
            assertThat(call.semantics()).isEqualTo(ToolSemantics.AT_MOST_ONCE);
        });
    }

    @Test
    void shouldAnswerWithEveryValidationMessageAndNotRunTheHandlerWhenArgumentsDoNotFit() {
        // Given a tool
        SchemaTool tool = tool(call -> ToolResult.ok("ran"));

        // When it is called with a number for the id, a limit of 0 and an unknown argument
        ToolOutput output = tool.run(invocation("{\"orderId\": 42, \"limit\": 0, \"colour\": \"red\"}"), context());

        // Then the model sees an error naming each problem, and the handler never ran
        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent())
                .startsWith("the arguments of lookup_order do not fit its parameters schema: ")
                .contains("/orderId: integer found, string expected")
                .contains("/limit: must have a minimum value of 1")
                .contains("'colour' is not defined in the schema");
        assertThat(calls).isEmpty();
    }

    @Test
    void shouldAnswerAMissingRequiredArgumentWithoutRunningTheHandler() {
        SchemaTool tool = tool(call -> ToolResult.ok("ran"));

        ToolOutput output = tool.run(invocation(""), context());

        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent()).contains("required property 'orderId' not found");
        assertThat(calls).isEmpty();
    }

    @Test
    void shouldAnswerArgumentsThatAreNotJsonWithoutRunningTheHandler() {
        SchemaTool tool = tool(call -> ToolResult.ok("ran"));

        ToolOutput output = tool.run(invocation("{orderId: o-1"), context());

        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent()).startsWith("the arguments of lookup_order are not valid JSON (");
        assertThat(calls).isEmpty();
    }

    @Test
    void shouldShowTheModelTheHandlersErrorResultAsAnError() {
        SchemaTool tool = tool(call -> ToolResult.error("no order o-9; ids look like o-123"));

        ToolOutput output = tool.run(invocation("{\"orderId\": \"o-9\"}"), context());

        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent()).isEqualTo("no order o-9; ids look like o-123");
    }

    @Test
    void shouldLeaveRetryableExceptionsToTheWorkerAndWrapCheckedOnesAsTerminal() {
        // Given handlers that fail transiently and with a checked exception
        SchemaTool retryable = tool(call -> {
            throw new RetryableWorkException("orders database unavailable");
        });
        SchemaTool checked = tool(call -> {
            throw new IOException("disk on fire");
        });

        // Then the worker gets a retryable exception (redeliver) and a terminal one (an error result) respectively
        assertThatThrownBy(() -> retryable.run(invocation("{\"orderId\": \"o-1\"}"), context()))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessage("orders database unavailable");
        assertThatThrownBy(() -> checked.run(invocation("{\"orderId\": \"o-1\"}"), context()))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessage("java.io.IOException: disk on fire");
    }

    @Test
    void shouldRefuseASchemaThatIsNotAValidJsonSchemaWhenBuilding() {
        assertThatThrownBy(() -> ArgumentSchema.compile("t", "{\"type\": 12, \"required\": \"orderId\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the JSON Schema of tool 't' is not a valid "
                        + "https://json-schema.org/draft/2020-12/schema schema: ")
                .hasMessageContaining("/required: string found, array expected");
        assertThatThrownBy(() -> ArgumentSchema.compile("t", "{\"type\": \"object\""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the JSON Schema of tool 't' is not valid JSON (");
        assertThatThrownBy(() -> ArgumentSchema.compile("t", "[]"))
                .hasMessage("the JSON Schema of tool 't' must be a JSON object, but was: []");
        assertThatThrownBy(() -> ArgumentSchema.compile("t", "{\"$schema\": \"https://example.org/mine\"}"))
                .hasMessageStartingWith(
                        "the JSON Schema of tool 't' names the dialect \"https://example.org/mine\", which is not one of");
    }

    @Test
    void shouldValidateWithTheDialectASchemaNames() {
        // Given a draft-07 schema (whose "dependencies" keyword 2020-12 no longer has)
        ArgumentSchema schema = ArgumentSchema.compile("t", """
                {"$schema": "http://json-schema.org/draft-07/schema#",
                 "type": "object", "dependencies": {"a": ["b"]}}""");

        // Then the draft-07 rule applies
        assertThat(schema.check("{\"a\": 1}")).isInstanceOf(ArgumentSchema.Check.Invalid.class);
        assertThat(schema.check("{\"a\": 1, \"b\": 2}")).isInstanceOf(ArgumentSchema.Check.Valid.class);
    }

    @Test
    void shouldRefuseABadToolOrPoolWhenBuildingAToolWorker() {
        assertThatThrownBy(() -> ToolWorker.builder().pool("Orders!")).hasMessageContaining("but was 'Orders!'");
        assertThatThrownBy(() -> ToolWorker.builder().pool("tools"))
                .hasMessageStartingWith("pool 'tools' is served by agentlog's own workers");
        assertThatThrownBy(() -> ToolWorker.builder().tool("t", "{\"type\": \"nope\"}", call -> ToolResult.ok("")))
                .hasMessageStartingWith("the JSON Schema of tool 't' is not a valid");
        assertThatThrownBy(() -> ToolWorker.builder()
                        .tool("t", "{}", call -> ToolResult.ok(""))
                        .tool("t", "{}", call -> ToolResult.ok("")))
                .hasMessage("two tools are named 't'");
        assertThatThrownBy(() -> ToolWorker.builder().kafkaProperties(java.util.Map.of("acks", "1")))
                .hasMessageStartingWith("the Kafka client properties set [acks], which agentlog sets itself");
        assertThatThrownBy(() -> ToolWorker.builder()
                        .tool("t", "{}", call -> ToolResult.ok(""))
                        .start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a tool service needs the pool it serves: call pool(name)");
    }

    private SchemaTool tool(ToolHandler handler) {
        return new SchemaTool("lookup_order", ArgumentSchema.compile("lookup_order", ORDER_SCHEMA), call -> {
            calls.add(call);
            return handler.handle(call);
        });
    }

    private static ToolInvocation invocation(String arguments) {
        return invocation(arguments, ToolSemantics.IDEMPOTENT);
    }

    private static ToolInvocation invocation(String arguments, ToolSemantics semantics) {
        return ToolInvocation.newBuilder()
                .setToolCallId("c-1")
                .setTool("lookup_order")
                .setArguments(arguments)
                .setSemantics(semantics)
                .setIdempotencyKey("s-1/w-1")
                .build();
    }

    private static WorkContext context() {
        return new WorkContext("s-1", "w-1", "s-1/w-1", DEADLINE, "worker-1", 1);
    }
}
