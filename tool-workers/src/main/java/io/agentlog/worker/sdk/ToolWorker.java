package io.agentlog.worker.sdk;

import io.agentlog.schemas.KafkaClientProperties;
import io.agentlog.schemas.Topics;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.mcp.McpServerSpec;
import io.agentlog.worker.mcp.McpStdioServer;
import io.agentlog.worker.mcp.McpTool;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A team's own tool service: serves one worker pool with the team's tools, each with a JSON Schema its arguments are
 * validated against before its handler runs.
 *
 * <pre>{@code
 * try (ToolWorker worker = ToolWorker.builder()
 *         .bootstrapServers("localhost:9092")
 *         .pool("orders")
 *         .tool("lookup_order", schemaJson, call -> ToolResult.ok(find(call.arguments().get("orderId").asText())))
 *         .start()) {
 *     worker.serveUntilShutdown();
 * }
 * }</pre>
 *
 * <p>Agent definitions send calls to it by declaring the tool with {@code pool: orders} and the same
 * {@code parameters} schema (the model sees the definition's schema; the worker validates with its own). The pool's
 * work topic {@code agentlog.work.orders} must exist ({@code agentlog topics create --pools ...}). Underneath it is
 * a {@link Worker} with only these tools and no model providers: the same share group per pool
 * ({@code agentlog-orders}), acknowledgements, redeliveries, at-most-once claims and delivery limit as the built-in
 * pools (see tool-workers/README.md).
 */
public final class ToolWorker implements AutoCloseable {

    private final Worker worker;
    private final List<McpStdioServer> mcpServers;

    private ToolWorker(Worker worker, List<McpStdioServer> mcpServers) {
        this.worker = worker;
        this.mcpServers = mcpServers;
    }

    /** A builder with the worker defaults (bootstrap servers {@code localhost:9092}). */
    public static Builder builder() {
        return new Builder(WorkerConfig.builder());
    }

    /**
     * A builder that starts from the environment: {@code AGENTLOG_BOOTSTRAP_SERVERS}, {@code AGENTLOG_KAFKA_CONFIG}
     * (a Kafka client properties file for secured clusters), {@code AGENTLOG_WORKER_ID},
     * {@code AGENTLOG_MAX_CONCURRENCY}, {@code AGENTLOG_MAX_DELIVERIES}, {@code AGENTLOG_RETRY_BACKOFF_MS},
     * {@code AGENTLOG_SHUTDOWN_GRACE_MS} and the worker metrics settings, as for {@code WorkerMain}; the pool is the
     * one given to {@link Builder#pool}, whatever {@code AGENTLOG_POOLS} says.
     *
     * @throws IllegalArgumentException for a bad setting, quoting it
     */
    public static Builder fromEnv(Map<String, String> env) {
        return new Builder(WorkerConfig.fromEnv(env).toBuilder());
    }

    /** {@link #fromEnv(Map)} of this process's environment. */
    public static Builder fromEnv() {
        return fromEnv(System.getenv());
    }

    /** The pool served. */
    public String pool() {
        return worker.config().pools().getFirst();
    }

    /** The worker's configuration. */
    public WorkerConfig config() {
        return worker.config();
    }

    /** True while every share consumer's loop runs. */
    public boolean isRunning() {
        return worker.isRunning();
    }

    /** Results this worker produced (calls answered). */
    public long answered() {
        return worker.answered();
    }

    /** Waits until a consumer's loop ends (by {@link #close()} or on a fatal error); true if one did in time. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return worker.awaitStopped(timeout);
    }

    /**
     * Serves until the JVM is asked to stop (SIGTERM/SIGINT: running calls finish, up to the shutdown grace), or a
     * consumer stops on its own; returns the exit code (0 after a requested stop, 1 after a failure). For a
     * {@code main}.
     */
    public int serveUntilShutdown() throws InterruptedException {
        return worker.serveUntilShutdown();
    }

    /** Stops taking calls, lets running ones finish for the shutdown grace, then closes the Kafka clients. */
    @Override
    public void close() {
        worker.close();
        mcpServers.forEach(McpStdioServer::close);
    }

    /** Builds a tool service; every setting is checked by {@link #start()} or before, with the bad value quoted. */
    public static final class Builder {
        private final WorkerConfig.Builder config;
        private final Map<String, Tool> tools = new LinkedHashMap<>();
        private final List<McpServerSpec> mcpSpecs = new ArrayList<>();
        private Duration mcpStartTimeout = Duration.ofSeconds(60);
        private String pool;

        private Builder(WorkerConfig.Builder config) {
            this.config = config;
        }

        /** Kafka's bootstrap servers, e.g. {@code localhost:9092}. */
        public Builder bootstrapServers(String value) {
            config.bootstrapServers(value);
            return this;
        }

        /**
         * Kafka client properties for every client of the worker (SASL, TLS); see docs/security.md.
         *
         * @throws IllegalArgumentException if they set a key agentlog sets itself ({@link
         *     KafkaClientProperties#RESERVED}), naming it
         */
        public Builder kafkaProperties(Map<String, String> value) {
            Set<String> reserved = KafkaClientProperties.reservedIn(
                    Objects.requireNonNull(value, "kafkaProperties").keySet());
            if (!reserved.isEmpty()) {
                throw new IllegalArgumentException("the Kafka client properties set " + reserved
                        + ", which agentlog sets itself; remove them (give the brokers with bootstrapServers)");
            }
            config.kafkaProperties(value);
            return this;
        }

        /**
         * The pool served, as agent definitions name it ({@code pool: orders}); its work topic must exist. Not one of
         * agentlog's own pools ({@code model}, {@code tools}, {@code sandbox}): their workers would get this
         * service's calls, and it theirs, and answer them "unknown tool".
         *
         * @throws IllegalArgumentException for a name that is not a valid pool name, or names one of those pools
         */
        public Builder pool(String name) {
            Topics.validPool(name);
            if (Topics.DEFAULT_POOLS.contains(name)) {
                throw new IllegalArgumentException("pool '" + name + "' is served by agentlog's own workers, which"
                        + " would get this service's calls and answer them 'unknown tool'; give the tool service a"
                        + " pool of its own (e.g. 'orders'), and its tools 'pool: <that name>' in the definitions");
            }
            this.pool = name;
            return this;
        }

        /**
         * Adds a tool: its name (as agent definitions and the model call it), its parameters' JSON Schema (the text
         * of a JSON object; draft 2020-12 unless it names another with {@code $schema}) and its handler.
         *
         * @throws IllegalArgumentException if the name is blank or taken, or the schema is not a valid JSON Schema
         */
        public Builder tool(String name, String jsonSchema, ToolHandler handler) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a tool name must not be blank, but was '" + name + "'");
            }
            Objects.requireNonNull(handler, "handler of tool " + name);
            if (tools.containsKey(name)) {
                throw new IllegalArgumentException("two tools are named '" + name + "'");
            }
            tools.put(name, new SchemaTool(name, ArgumentSchema.compile(name, jsonSchema), handler));
            return this;
        }

        /**
         * Serves every tool of a stdio MCP server: {@link #start()} starts the server as this process's child, lists
         * its tools ({@code tools/list}) and serves each under its MCP name; a call runs {@code tools/call}. A server
         * that dies is started again on the next call (the call that saw it die is delivered again). The server is
         * stopped when the worker closes. Definitions declare each tool with this pool and the server's input schema
         * ({@code McpToolService --print-tools} prints the entries).
         */
        public Builder mcpServer(McpServerSpec spec) {
            mcpSpecs.add(Objects.requireNonNull(spec, "spec"));
            return this;
        }

        /** How long an MCP server may take to start and list its tools; default 60 s. */
        public Builder mcpStartTimeout(Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("the MCP start timeout must be positive, but was " + value);
            }
            this.mcpStartTimeout = value;
            return this;
        }

        /** Written into every result; unset: {@code <hostname>-<pid>}. */
        public Builder workerId(String value) {
            config.workerId(value);
            return this;
        }

        /** Calls run at once (each on a virtual thread); default {@value WorkerConfig#DEFAULT_MAX_CONCURRENCY}. */
        public Builder maxConcurrency(int value) {
            config.maxConcurrency(value);
            return this;
        }

        /** For settings this builder does not name (delivery limit, backoff, shutdown grace, metrics). */
        public Builder configure(Consumer<WorkerConfig.Builder> settings) {
            settings.accept(config);
            return this;
        }

        /**
         * Starts serving: joins the pool's share group and runs calls as they arrive.
         *
         * @throws IllegalStateException if no pool or no tool was given
         * @throws IllegalArgumentException for a bad setting, quoting it
         */
        public ToolWorker start() {
            if (pool == null) {
                throw new IllegalStateException("a tool service needs the pool it serves: call pool(name)");
            }
            if (tools.isEmpty() && mcpSpecs.isEmpty()) {
                throw new IllegalStateException("a tool service needs at least one tool: call tool(name, jsonSchema,"
                        + " handler) or mcpServer(spec)");
            }
            WorkerConfig workerConfig = config.pools(List.of(pool)).build();
            List<McpStdioServer> servers = new ArrayList<>();
            try {
                Map<String, Tool> all = new LinkedHashMap<>(tools);
                for (McpServerSpec spec : mcpSpecs) {
                    McpStdioServer server = McpStdioServer.start(spec, mcpStartTimeout);
                    servers.add(server);
                    for (McpTool tool : McpTool.allOf(server)) {
                        if (all.putIfAbsent(tool.name(), tool) != null) {
                            throw new IllegalArgumentException("two tools are named '" + tool.name()
                                    + "' (the MCP server " + spec.command() + " has one)");
                        }
                    }
                }
                if (all.isEmpty()) {
                    throw new IllegalStateException("the MCP servers " + mcpSpecs + " have no tools");
                }
                return new ToolWorker(
                        Worker.start(workerConfig, ToolRegistry.of(new ArrayList<>(all.values())), ModelProviders.of()),
                        List.copyOf(servers));
            } catch (RuntimeException e) {
                servers.forEach(McpStdioServer::close);
                throw e;
            }
        }
    }
}
