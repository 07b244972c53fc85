package io.agentlog.worker.mcp;

import io.agentlog.testkit.ChildJvm;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A real stdio MCP server written with the MCP Java SDK, run in a child JVM by the tests: {@code add} (two numbers),
 * {@code echo} (its text), {@code meta} (the request's {@code _meta}), {@code slow},
 * {@code fail} (a result with {@code isError}) and {@code crash} (the process exits mid-call).
 */
public final class TestMcpServer {

    private TestMcpServer() {}

    /** The command that starts it with the test class path (its log goes to stderr; stdout is the protocol). */
    public static McpServerSpec spec() {
        return new McpServerSpec(
                List.of(
                        ChildJvm.javaBinary(),
                        "-Dlogback.configurationFile=mcp-server-logback.xml",
                        "-cp",
                        ChildJvm.classPath(),
                        TestMcpServer.class.getName()),
                Map.of());
    }

    public static void main(String[] args) throws Exception {
        var mapper = McpJsonDefaults.getMapper();
        McpSyncServer server = McpServer.sync(new StdioServerTransportProvider(mapper))
                .serverInfo("agentlog-test-mcp", "1.0")
                .capabilities(
                        McpSchema.ServerCapabilities.builder().tools(false).build())
                .toolCall(tool("add", "Adds two numbers", """
                                {"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},
                                 "required":["a","b"]}"""), (exchange, request) -> {
                    double sum = ((Number) request.arguments().get("a")).doubleValue()
                            + ((Number) request.arguments().get("b")).doubleValue();
                    return text(sum == Math.rint(sum) ? String.valueOf((long) sum) : String.valueOf(sum), false);
                })
                .toolCall(
                        tool("echo", "Returns its text", """
                                {"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}"""),
                        (exchange, request) ->
                                text(String.valueOf(request.arguments().get("text")), false))
                .toolCall(
                        tool("meta", "Returns the request's _meta", "{\"type\":\"object\",\"properties\":{}}"),
                        (exchange, request) -> text(json(request.meta() == null ? Map.of() : request.meta()), false))
                .toolCall(
                        tool("slow", "Answers after 10 s", "{\"type\":\"object\",\"properties\":{}}"),
                        (exchange, request) -> {
                            try {
                                Thread.sleep(10_000); // a tool slower than its caller's deadline
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return text("slow answer", false);
                        })
                .toolCall(
                        tool("fail", "Always fails", "{\"type\":\"object\",\"properties\":{}}"),
                        (exchange, request) -> text("it failed on purpose", true))
                .toolCall(
                        tool("crash", "Kills the server mid-call", "{\"type\":\"object\",\"properties\":{}}"),
                        (exchange, request) -> {
                            Runtime.getRuntime().halt(3);
                            return text("unreachable", true);
                        })
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        new CountDownLatch(1).await(); // serves until stdin closes or it is killed
    }

    private static String json(Object value) {
        try {
            return McpJsonDefaults.getMapper().writeValueAsString(value);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static McpSchema.Tool tool(String name, String description, String schema) {
        return McpSchema.Tool.builder()
                .name(name)
                .description(description)
                .inputSchema(McpJsonDefaults.getMapper(), schema)
                .build();
    }

    private static McpSchema.CallToolResult text(String content, boolean isError) {
        return new McpSchema.CallToolResult(List.of(new McpSchema.TextContent(content)), isError, null, null);
    }
}
