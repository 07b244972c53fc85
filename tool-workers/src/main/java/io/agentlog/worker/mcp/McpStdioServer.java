package io.agentlog.worker.mcp;

import io.agentlog.worker.RetryableWorkException;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stdio MCP server run as this worker's child process, through the MCP Java SDK's client. It is started (and
 * initialized) on {@link #start}; a call that fails because the connection broke (the server died) closes it, and the
 * next call starts the server again. Thread-safe: calls share one connection.
 */
public final class McpStdioServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(McpStdioServer.class);

    private final McpServerSpec spec;
    private final Duration startTimeout;
    /** Starts are serialized across servers, so the new child process of this JVM is the one just started. */
    private static final Object START_LOCK = new Object();

    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private McpAsyncClient client; // guarded by this
    private ProcessHandle process; // guarded by this; the server's process while connected
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

    /** The server process's id while it is connected. */
    public synchronized OptionalLong pid() {
        return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
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
     * @throws RetryableWorkException if the server did not answer in time, or could not be reached or died (then the
     *     connection is dropped and the next call starts the server again)
     */
    public McpSchema.CallToolResult call(String tool, Map<String, Object> arguments, Duration timeout) {
        return call(tool, arguments, Map.of(), timeout);
    }

    /** {@link #call(String, Map, Duration)} with the request's {@code _meta}. */
    public McpSchema.CallToolResult call(
            String tool, Map<String, Object> arguments, Map<String, Object> meta, Duration timeout) {
        McpAsyncClient c;
        ProcessHandle p;
        synchronized (this) {
            try {
                c = connection();
            } catch (RuntimeException e) {
                throw new RetryableWorkException(
                        "the MCP server " + spec.command() + " could not be started: " + e.getMessage(), e);
            }
            p = process;
        }
        CompletableFuture<McpSchema.CallToolResult> pending = c.callTool(
                        new McpSchema.CallToolRequest(tool, arguments, meta.isEmpty() ? null : meta))
                .toFuture();
        try {
            return await(pending, p, timeout);
        } catch (TimeoutException e) {
            pending.cancel(true); // a slow tool: the server still runs, and keeps its connection for other calls
            throw new RetryableWorkException(
                    "the MCP server " + spec.command() + " did not answer tool '" + tool + "' within "
                            + timeout.toMillis() + " ms",
                    e);
        } catch (ExecutionException | RuntimeException e) {
            pending.cancel(true);
            drop(c);
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new RetryableWorkException(
                    "the MCP server " + spec.command() + " failed on tool '" + tool + "': " + cause.getMessage()
                            + " (it is started again for the next call)",
                    cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.cancel(true);
            throw new RetryableWorkException("interrupted while calling MCP tool '" + tool + "'", e);
        }
    }

    /** Waits for a call's result, failing as soon as the server process is gone (the SDK would wait it out). */
    private McpSchema.CallToolResult await(
            CompletableFuture<McpSchema.CallToolResult> pending, ProcessHandle p, Duration timeout)
            throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("no answer within " + timeout.toMillis() + " ms");
            }
            try {
                McpSchema.CallToolResult result = pending.get(Math.min(left, POLL.toNanos()), TimeUnit.NANOSECONDS);
                if (result == null) {
                    throw new IllegalStateException("no result");
                }
                return result;
            } catch (TimeoutException e) {
                if (p != null && !p.isAlive() && !pending.isDone()) {
                    throw new IllegalStateException("the server process " + p.pid() + " exited");
                }
            }
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
            synchronized (START_LOCK) {
                Set<Long> before = childPids();
                try {
                    fresh.initialize().block(startTimeout);
                } catch (RuntimeException e) {
                    fresh.close();
                    ProcessHandle.current()
                            .children()
                            .filter(h -> !before.contains(h.pid()))
                            .forEach(McpStdioServer::stop);
                    throw e;
                }
                String program =
                        Path.of(spec.command().getFirst()).getFileName().toString();
                List<ProcessHandle> started = ProcessHandle.current()
                        .children()
                        .filter(h -> !before.contains(h.pid()))
                        .toList();
                process = started.stream()
                        .filter(h ->
                                h.info().command().map(c -> c.endsWith(program)).orElse(false))
                        .findFirst()
                        .orElse(started.isEmpty() ? null : started.getFirst());
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
            stopProcess();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client != null) {
            client.close();
            client = null;
        }
        stopProcess();
    }

    private void stopProcess() {
        if (process != null) {
            stop(process);
            process = null;
        }
    }

    /** SIGTERM, then SIGKILL if it has not exited within the grace (an SDK client's close leaves it running). */
    private static void stop(ProcessHandle p) {
        p.destroy();
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        while (p.isAlive() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(POLL.toNanos());
        }
        if (p.isAlive()) {
            p.destroyForcibly();
        }
    }

    private static Set<Long> childPids() {
        return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
    }
}
