package io.agentlog.worker.mcp;

import java.util.List;
import java.util.Map;

/**
 * How to start a stdio MCP server as the worker's child process: its command (program and arguments) and the
 * environment variables added to the worker's.
 *
 * @param command the program and its arguments, e.g. {@code [node, server.js]}
 * @param env variables set for the server on top of the worker's environment
 */
public record McpServerSpec(List<String> command, Map<String, String> env) {

    public McpServerSpec {
        if (command == null || command.isEmpty() || command.stream().anyMatch(a -> a == null || a.isBlank())) {
            throw new IllegalArgumentException(
                    "an MCP server's command must be a non-empty list of non-blank strings, but was " + command);
        }
        command = List.copyOf(command);
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** A server started with this command and no extra environment. */
    public static McpServerSpec of(String... command) {
        return new McpServerSpec(List.of(command), Map.of());
    }
}
