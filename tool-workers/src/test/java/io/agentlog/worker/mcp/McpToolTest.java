package io.agentlog.worker.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.WorkContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** MCP-backed tools against a real stdio MCP server process (the SDK's server in a child JVM, {@link TestMcpServer}). */
class McpToolTest {

    private static final Duration START = Duration.ofSeconds(60);
    private static McpStdioServer server;
    private static Map<String, McpTool> tools;

    @BeforeAll
    static void startServer() {
        server = McpStdioServer.start(TestMcpServer.spec(), START);
        tools = McpTool.allOf(server).stream().collect(java.util.stream.Collectors.toMap(McpTool::name, t -> t));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void shouldOfferEveryToolOfTheServerWithItsSchemaWhenStarted() {
        // Given a started server (in @BeforeAll)
        // When its tools were listed
        // Then each is a tool with the server's description and input schema
        assertThat(tools).containsOnlyKeys("add", "echo", "meta", "slow", "fail", "crash");
        assertThat(tools.get("add").description()).isEqualTo("Adds two numbers");
        assertThat(tools.get("add").inputSchema())
                .containsEntry("type", "object")
                .containsEntry("required", List.of("a", "b"));
    }

    @Test
    void shouldAnswerWithTheServersResultWhenCalled() {
        // Given the server's add and echo tools
        // When they are called with the model's arguments
        ToolOutput sum = tools.get("add").run(invocation("add", "{\"a\": 2, \"b\": 40}"), context());
        ToolOutput echo = tools.get("echo").run(invocation("echo", "{\"text\": \"héllo\"}"), context());

        // Then their text content is the output
        assertThat(sum.getIsError()).isFalse();
        assertThat(sum.getContent()).isEqualTo("42");
        assertThat(echo.getContent()).isEqualTo("héllo");
    }

    @Test
    void shouldSendTheIdempotencyKeyAndDeliveryCountInTheRequestsMetaWhenCalled() {
        // When a call on its third delivery runs
        ToolOutput output = tools.get("meta")
                .run(
                        invocation("meta", "{}"),
                        new WorkContext("s-9", "w-4", "s-9/w-4", Instant.now().plusSeconds(60), "worker-1", 3));

        // Then the server got the call's idempotency key and delivery count in _meta
        assertThat(output.getContent())
                .contains("\"io.agentlog/idempotencyKey\":\"s-9/w-4\"")
                .contains("\"io.agentlog/deliveryCount\":3");
    }

    @Test
    void shouldAnswerAnErrorTheModelSeesWhenTheServerSaysIsError() {
        // Given the server's fail tool, which answers with isError
        // When it is called
        ToolOutput output = tools.get("fail").run(invocation("fail", "{}"), context());

        // Then the output is an error with the server's text
        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent()).isEqualTo("it failed on purpose");
    }

    @Test
    void shouldAnswerAnErrorWithoutCallingTheServerWhenArgumentsAreNotAnObject() {
        // When the model's arguments are not a JSON object
        ToolOutput output = tools.get("echo").run(invocation("echo", "[1, 2"), context());

        // Then the model is told so
        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent()).contains("must be a JSON object");
    }

    @Test
    void shouldFailRetryablyAndStartTheServerAgainWhenItDiesMidCall() {
        // Given a running server
        int startsBefore = server.starts();

        // When a call kills the server process
        // Then the call fails retryably (its item is delivered again), as soon as the process is gone rather than
        // at the call's 60 s deadline
        long began = System.nanoTime();
        assertThatThrownBy(() -> tools.get("crash").run(invocation("crash", "{}"), context()))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("tool 'crash'");
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(20));

        // And the next call starts the server again and is answered
        ToolOutput after = tools.get("add").run(invocation("add", "{\"a\": 1, \"b\": 2}"), context());
        assertThat(after.getContent()).isEqualTo("3");
        assertThat(server.starts()).isEqualTo(startsBefore + 1);
    }

    @Test
    void shouldFailRetryablyAndKeepTheServerWhenAToolOutlastsTheCallsDeadline() {
        // Given a running server
        int startsBefore = server.starts();

        // When a call's deadline passes before the slow tool answers
        WorkContext shortDeadline =
                new WorkContext("s-1", "w-2", "s-1/w-2", Instant.now().plusMillis(500), "worker-1", 1);
        assertThatThrownBy(() -> tools.get("slow").run(invocation("slow", "{}"), shortDeadline))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("did not answer tool 'slow'");

        // Then the server was not restarted and answers the next call
        assertThat(tools.get("echo")
                        .run(invocation("echo", "{\"text\": \"still here\"}"), context())
                        .getContent())
                .isEqualTo("still here");
        assertThat(server.starts()).isEqualTo(startsBefore);
    }

    @Test
    void shouldStopTheServerProcessWhenClosed() {
        // Given a second server, started
        McpStdioServer other = McpStdioServer.start(TestMcpServer.spec(), START);
        ProcessHandle process;
        try {
            process = ProcessHandle.of(other.pid().orElseThrow()).orElseThrow();
            assertThat(process.info().commandLine().orElse("")).contains("mcp-server-logback.xml");
        } finally {
            // When it is closed
            other.close();
        }

        // Then its process is gone
        assertThat(process.isAlive()).isFalse();
    }

    @Test
    void shouldPrintDefinitionEntriesWithTheServersSchemasWhenAskedForThem() throws Exception {
        // When the definition entries of the server's tools are printed for pool mcp-test
        String yaml = McpToolService.definitionEntries(List.of(tools.get("echo")), "mcp-test");

        // Then each entry names the tool, its pool and the server's schema as parameters
        assertThat(yaml).startsWith("tools:\n  - {");
        var entry = new com.fasterxml.jackson.databind.ObjectMapper().readTree(yaml.substring(yaml.indexOf('{')));
        assertThat(entry.get("name").asText()).isEqualTo("echo");
        assertThat(entry.get("pool").asText()).isEqualTo("mcp-test");
        assertThat(entry.get("parameters").get("required").get(0).asText()).isEqualTo("text");
    }

    @Test
    void shouldRejectACommandThatIsNotAJsonArrayQuotingIt() {
        assertThatThrownBy(() -> McpToolService.spec(Map.of(McpToolService.COMMAND, "node server.js")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'node server.js'");
    }

    private static ToolInvocation invocation(String tool, String arguments) {
        return ToolInvocation.newBuilder()
                .setToolCallId("call-1")
                .setTool(tool)
                .setArguments(arguments)
                .setSemantics(ToolSemantics.IDEMPOTENT)
                .setIdempotencyKey("s-1/w-1")
                .setTimeoutMs(60_000)
                .build();
    }

    private static WorkContext context() {
        return new WorkContext("s-1", "w-1", "s-1/w-1", Instant.now().plusSeconds(60), "worker-1", 1);
    }
}
