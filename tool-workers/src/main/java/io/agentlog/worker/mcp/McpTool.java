package io.agentlog.worker.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolOutputs;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One tool of an MCP server, served on a worker pool: a call runs {@code tools/call} on the server with the model's
 * arguments and answers with the result's text content; the MCP result's {@code isError} becomes the output's. A server
 * that dies or does not answer in time makes the call retryable (see {@link McpStdioServer#call}). The worker's
 * at-most-once claims apply as for any tool; the call's idempotency key and delivery count go to the server in the
 * request's {@code _meta} ({@value #IDEMPOTENCY_KEY}, {@value #DELIVERY_COUNT}).
 */
public final class McpTool implements Tool {

    /** The {@code _meta} key of a call's idempotency key ({@code sessionId/workId}), the same on every delivery. */
    public static final String IDEMPOTENCY_KEY = "io.agentlog/idempotencyKey";

    /** The {@code _meta} key of a call's delivery count (1 on the first delivery). */
    public static final String DELIVERY_COUNT = "io.agentlog/deliveryCount";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final McpStdioServer server;
    private final McpSchema.Tool tool;

    public McpTool(McpStdioServer server, McpSchema.Tool tool) {
        this.server = Objects.requireNonNull(server, "server");
        this.tool = Objects.requireNonNull(tool, "tool");
    }

    /** A tool for each of the server's tools. */
    public static List<McpTool> allOf(McpStdioServer server) {
        return server.listTools().stream().map(t -> new McpTool(server, t)).toList();
    }

    @Override
    public String name() {
        return tool.name();
    }

    /** What the server says the tool does. */
    public String description() {
        return tool.description() == null ? "" : tool.description();
    }

    /** The JSON Schema of the tool's arguments, as the server gave it. */
    public Map<String, Object> inputSchema() {
        return tool.inputSchema() == null ? Map.of("type", "object") : tool.inputSchema();
    }

    @Override
    public ToolOutput run(ToolInvocation invocation, WorkContext context) {
        Map<String, Object> arguments;
        try {
            String text = invocation.getArguments();
            arguments = text == null || text.isBlank()
                    ? Map.of()
                    : JSON.readValue(text, new TypeReference<Map<String, Object>>() {});
        } catch (JsonProcessingException e) {
            return ToolOutputs.error(
                    "the arguments of " + name() + " must be a JSON object: " + e.getOriginalMessage());
        }
        Map<String, Object> meta =
                Map.of(IDEMPOTENCY_KEY, context.idempotencyKey(), DELIVERY_COUNT, context.deliveryCount());
        McpSchema.CallToolResult result =
                server.call(name(), arguments == null ? Map.of() : arguments, meta, context.remaining());
        String content = contentText(result);
        return Boolean.TRUE.equals(result.isError()) ? ToolOutputs.error(content) : ToolOutputs.ok(content);
    }

    /** The result's text blocks joined by new lines; other blocks and structured content as JSON. */
    static String contentText(McpSchema.CallToolResult result) {
        List<String> parts = new ArrayList<>();
        if (result.content() != null) {
            for (McpSchema.Content c : result.content()) {
                parts.add(c instanceof McpSchema.TextContent text ? text.text() : toJson(c));
            }
        }
        if (parts.isEmpty() && result.structuredContent() != null) {
            parts.add(toJson(result.structuredContent()));
        }
        return String.join("\n", parts);
    }

    private static String toJson(Object value) {
        try {
            return McpJsonDefaults.getMapper().writeValueAsString(value);
        } catch (IOException e) {
            return String.valueOf(value);
        }
    }
}
