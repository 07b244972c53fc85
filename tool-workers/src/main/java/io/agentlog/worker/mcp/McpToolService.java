package io.agentlog.worker.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.worker.sdk.ToolWorker;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a stdio MCP server's tools on a pool: {@code AGENTLOG_MCP_POOL} (the pool), {@code AGENTLOG_MCP_COMMAND}
 * (a JSON array: the program and its arguments), {@code AGENTLOG_MCP_ENV} (optional, a JSON object of variables for
 * the server) and the worker settings of {@link ToolWorker#fromEnv()}. With {@code --print-tools} it starts the
 * server, prints a definition's {@code tools:} entries for its tools (name, description, pool, the server's input
 * schema) and exits.
 */
public final class McpToolService {

    public static final String POOL = "AGENTLOG_MCP_POOL";
    public static final String COMMAND = "AGENTLOG_MCP_COMMAND";
    public static final String ENV = "AGENTLOG_MCP_ENV";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START = Duration.ofSeconds(60);

    private McpToolService() {}

    public static void main(String[] args) throws InterruptedException {
        boolean printTools = List.of(args).contains("--print-tools");
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty(
                    "logback.configurationFile",
                    printTools ? "agentlog-mcp-print-logback.xml" : "agentlog-worker-logback.xml");
        }
        Logger log = LoggerFactory.getLogger(McpToolService.class);
        int exitCode;
        try {
            String pool = required(System.getenv(), POOL);
            McpServerSpec spec = spec(System.getenv());
            if (printTools) {
                try (McpStdioServer server = McpStdioServer.start(spec, START)) {
                    System.out.print(definitionEntries(McpTool.allOf(server), pool));
                }
                exitCode = 0;
            } else {
                try (ToolWorker worker =
                        ToolWorker.fromEnv().pool(pool).mcpServer(spec).start()) {
                    log.info("Serving pool {} with the tools of MCP server {}; stop with Ctrl-C", pool, spec.command());
                    exitCode = worker.serveUntilShutdown();
                }
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            log.error("{}", e.getMessage());
            exitCode = 2;
        }
        System.exit(exitCode);
    }

    /**
     * The server from {@code AGENTLOG_MCP_COMMAND} and {@code AGENTLOG_MCP_ENV}.
     *
     * @throws IllegalArgumentException for a missing or malformed value, quoting it
     */
    public static McpServerSpec spec(Map<String, String> env) {
        String command = required(env, COMMAND);
        List<String> argv;
        try {
            argv = JSON.readValue(command, new TypeReference<List<String>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(COMMAND
                    + " must be a JSON array of strings such as [\"node\", \"server.js\"], but was '" + command + "'");
        }
        Map<String, String> serverEnv = Map.of();
        String text = env.get(ENV);
        if (text != null && !text.isBlank()) {
            try {
                serverEnv = JSON.readValue(text, new TypeReference<Map<String, String>>() {});
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(
                        ENV + " must be a JSON object of strings such as {\"TOKEN\": \"x\"}, but was '" + text + "'");
            }
        }
        return new McpServerSpec(argv, serverEnv);
    }

    /** A definition's {@code tools:} entries (YAML; each entry in JSON flow style) for an MCP server's tools. */
    public static String definitionEntries(List<McpTool> tools, String pool) {
        StringBuilder out = new StringBuilder("tools:\n");
        for (McpTool tool : tools) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", tool.name());
            entry.put("description", tool.description());
            entry.put("pool", pool);
            entry.put("parameters", tool.inputSchema());
            try {
                out.append("  - ").append(JSON.writeValueAsString(entry)).append('\n');
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write the entry of tool " + tool.name(), e);
            }
        }
        return out.toString();
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is not set");
        }
        return value;
    }
}
