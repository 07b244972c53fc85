package io.agentlog.worker.mcp;

import io.agentlog.worker.RetryableWorkException;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stdio MCP server run as this worker's child process, through the MCP Java SDK's client. It is started (and
 * initialized) on {@link #start}; a call that fails because the connection broke (the server died, or did not answer
 * in time) closes it, and the next call starts the server again. Thread-safe: calls share one connection.
 */
public final class McpStdioServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(McpStdioServer.class);

    private final McpServerSpec spec;
    private final Duration startTimeout;
    private McpAsyncClient client; // guarded by this
    private int starts; // guarded by this
    private boolean closed; // guarded by this

    private McpStdioServer(McpServerSpec spec, Duration startTimeout) {
        this.spec = spec;
        this.startTimeout = startTimeout;
    }

    /**
     * Starts the server and completes MCP's initialization handshake.
     *
     * @throws IllegalStateException if it cannot be started or does not initialize within {@code startTimeout}
     */
    public static McpStdioServer start(McpServerSpec spec, Duration startTimeout) {
        McpStdioServer server = new McpStdioServer(Objects.requireNonNull(spec, "spec"), startTimeout);
        try {
            server.connection();
        } catch (RuntimeException e) {
            server.close();
            throw new IllegalStateException("cannot start the MCP server " + spec.command() + ": " + e.getMessage(), e);
        }
        return server;
    }

    /** The server's command and environment. */
    public McpServerSpec spec() {
        return spec;
    }

    /** How many times the server process was started (1, plus one per restart). */
    public synchronized int starts() {
        return starts;
    }

    /** The server's tools ({@code tools/list}, every page). */
    public List<McpSchema.Tool> listTools() {
        McpAsyncClient c = connection();
        try {
            return c.listTools().block(startTimeout).tools();
        } catch (RuntimeException e) {
            drop(c);
            throw new IllegalStateException(
                    "the MCP server " + spec.command() + " did not list its tools: " + e.getMessage(), e);
        }
    }

    /**
     * Calls a tool ({@code tools/call}) and waits at most {@code timeout} for its result.
     *
     * @throws RetryableWorkException if the server could not be reached, died or did not answer in time (the
     *     connection is dropped and the next call starts the server again)
     */
    public McpSchema.CallToolResult call(String tool, Map<String, Object> arguments, Duration timeout) {
        McpAsyncClient c;
        try {
            c = connection();
        } catch (RuntimeException e) {
            throw new RetryableWorkException(
                    "the MCP server " + spec.command() + " could not be started: " + e.getMessage(), e);
        }
        try {
            McpSchema.CallToolResult result =
                    c.callTool(new McpSchema.CallToolRequest(tool, arguments)).block(timeout);
            if (result == null) {
                throw new IllegalStateException("no result");
            }
            return result;
        } catch (RuntimeException e) {
            drop(c);
            throw new RetryableWorkException(
                    "the MCP server " + spec.command() + " failed on tool '" + tool + "': " + e.getMessage()
                            + " (it is started again for the next call)",
                    e);
        }
    }

    private synchronized McpAsyncClient connection() {
        if (closed) {
            throw new IllegalStateException("the MCP server " + spec.command() + " was closed");
        }
        if (client == null) {
            ServerParameters params = ServerParameters.builder(spec.command().getFirst())
                    .args(spec.command().subList(1, spec.command().size()))
                    .env(spec.env())
                    .build();
            StdioClientTransport transport = new StdioClientTransport(params, McpJsonDefaults.getMapper());
            transport.setStdErrorHandler(
                    line -> LOG.info("MCP server {}: {}", spec.command().getFirst(), line));
            McpAsyncClient fresh = McpClient.async(transport)
                    .clientInfo(new McpSchema.Implementation("agentlog-worker", "0.1.0"))
                    .initializationTimeout(startTimeout)
                    .requestTimeout(Duration.ofDays(1)) // each call blocks for at most its own deadline
                    .build();
            starts++;
            try {
                fresh.initialize().block(startTimeout);
            } catch (RuntimeException e) {
                fresh.close();
                throw e;
            }
            client = fresh;
        }
        return client;
    }

    /** Closes a broken connection (if it is still the current one), so the next call starts the server again. */
    private synchronized void drop(McpAsyncClient broken) {
        if (client == broken) {
            client = null;
            LOG.warn("MCP server {}: connection dropped; it is started again on the next call", spec.command());
            broken.close();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
