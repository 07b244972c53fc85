package io.agentlog.local;

import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.engine.Engine;
import io.agentlog.engine.EngineConfig;
import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.testkit.ChatCompletionsServer;
import io.agentlog.testkit.MessagesApiServer;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.model.AnthropicModelProvider;
import io.agentlog.worker.model.Credential;
import io.agentlog.worker.model.ModelEndpoint;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.model.OpenAiModelProvider;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The engine (its own application id and state) and a worker serving the default pools, in this JVM, on the test
 * JVM's shared broker, with a client. The OpenAI-compatible provider's default endpoint gets a dummy API key; a test
 * with a local model server gives the worker an endpoint for it ({@link #withModelEndpoint}). A test may give the
 * worker tools of its own (on pools it adds to the worker's), and {@linkplain #restartEngine restart the engine}.
 */
final class InProcessStack implements AutoCloseable {

    private final String name;
    private final String applicationId;
    private final HttpApiConfig http;
    private final UnaryOperator<EngineConfig.Builder> engineSettings;
    private volatile Engine engine;
    private volatile Path stateDir;
    final Worker worker;
    final AgentlogClient client;

    private InProcessStack(
            String name,
            String applicationId,
            HttpApiConfig http,
            UnaryOperator<EngineConfig.Builder> engineSettings,
            Engine engine,
            Path stateDir,
            Worker worker,
            AgentlogClient client) {
        this.name = name;
        this.applicationId = applicationId;
        this.http = http;
        this.engineSettings = engineSettings;
        this.engine = engine;
        this.stateDir = stateDir;
        this.worker = worker;
        this.client = client;
    }

    /** The name agent definitions of the tests use for the local model server's endpoint. */
    static final String MODEL_ENDPOINT = "test-llm";

    static InProcessStack start(String name, Duration deadline) throws Exception {
        return start(name, deadline, UnaryOperator.identity());
    }

    /** The name agent definitions of the tests use for the local Messages API server's endpoint. */
    static final String ANTHROPIC_ENDPOINT = "test-claude";

    /** Gives the worker the endpoint {@value #MODEL_ENDPOINT}: the server, with key {@code key}. */
    static UnaryOperator<WorkerConfig.Builder> withModelEndpoint(ChatCompletionsServer server, String key) {
        return worker -> worker.modelEndpoints(List.of(openAiEndpoint(server, key)));
    }

    /** Like {@link #withModelEndpoint}, and the anthropic endpoint {@value #ANTHROPIC_ENDPOINT} at {@code messages}. */
    static UnaryOperator<WorkerConfig.Builder> withModelEndpoints(
            ChatCompletionsServer server, MessagesApiServer messages, String key) {
        return worker -> worker.modelEndpoints(List.of(
                openAiEndpoint(server, key),
                new ModelEndpoint(
                        ANTHROPIC_ENDPOINT,
                        AnthropicModelProvider.NAME,
                        URI.create(messages.baseUrl()),
                        Optional.of(Credential.of(key, "the test")))));
    }

    private static ModelEndpoint openAiEndpoint(ChatCompletionsServer server, String key) {
        return new ModelEndpoint(
                MODEL_ENDPOINT,
                OpenAiModelProvider.NAME,
                URI.create(server.baseUrl()),
                Optional.of(Credential.of(key, "the test")));
    }

    static InProcessStack start(String name, Duration deadline, UnaryOperator<WorkerConfig.Builder> worker)
            throws Exception {
        return start(name, deadline, worker, List.of());
    }

    /**
     * A stack whose worker also runs {@code tools} (on the pools {@code worker} adds to its configuration); the work
     * topics of the worker's pools are created first.
     */
    static InProcessStack start(
            String name, Duration deadline, UnaryOperator<WorkerConfig.Builder> worker, List<Tool> tools)
            throws Exception {
        return start(name, deadline, worker, tools, HttpApiConfig.disabled(), UnaryOperator.identity());
    }

    /** A stack whose engine serves its HTTP API ({@link #httpBase()}). */
    static InProcessStack startWithHttp(String name, Duration deadline, HttpApiConfig http) throws Exception {
        return startWithHttp(name, deadline, http, UnaryOperator.identity());
    }

    /** A stack whose engine serves its HTTP API, with the worker configured by {@code worker}. */
    static InProcessStack startWithHttp(
            String name, Duration deadline, HttpApiConfig http, UnaryOperator<WorkerConfig.Builder> worker)
            throws Exception {
        return start(name, deadline, worker, List.of(), http, UnaryOperator.identity());
    }

    /** A stack whose engine serves its HTTP API, with the worker and the engine configured by the operators. */
    static InProcessStack startWithHttp(
            String name,
            Duration deadline,
            HttpApiConfig http,
            UnaryOperator<WorkerConfig.Builder> worker,
            UnaryOperator<EngineConfig.Builder> engine)
            throws Exception {
        return start(name, deadline, worker, List.of(), http, engine);
    }

    private static InProcessStack start(
            String name,
            Duration deadline,
            UnaryOperator<WorkerConfig.Builder> worker,
            List<Tool> tools,
            HttpApiConfig http,
            UnaryOperator<EngineConfig.Builder> engineSettings)
            throws Exception {
        String bootstrap = SharedBroker.bootstrapServers();
        WorkerConfig workerConfig = worker.apply(
                        WorkerConfig.defaults(bootstrap).toBuilder().openAiApiKey(Optional.of("test-key")))
                .build();
        Set<String> pools = new LinkedHashSet<>(Topics.DEFAULT_POOLS);
        pools.addAll(workerConfig.pools());
        TopicSetup.createAll(bootstrap, List.copyOf(pools), (short) 1, Duration.ofSeconds(30));
        String applicationId = name + "-" + UUID.randomUUID();
        Path stateDir = Files.createTempDirectory(name + "-engine");
        Engine engine = Engine.start(engineConfig(bootstrap, stateDir, applicationId, engineSettings), http);
        Worker running = Worker.start(
                workerConfig,
                ToolRegistry.builtins(workerConfig).with(tools.toArray(Tool[]::new)),
                ModelProviders.defaults(workerConfig));
        InProcessStack stack = new InProcessStack(
                name, applicationId, http, engineSettings, engine, stateDir, running, new AgentlogClient(bootstrap));
        if (!engine.awaitRunning(deadline)) {
            stack.close();
            throw new AssertionError("the engine did not reach RUNNING within " + deadline);
        }
        return stack;
    }

    private static EngineConfig engineConfig(
            String bootstrap, Path stateDir, String applicationId, UnaryOperator<EngineConfig.Builder> settings) {
        return settings.apply(EngineConfig.defaults(bootstrap, stateDir).toBuilder())
                .applicationId(applicationId)
                .build();
    }

    /** The running engine; another one after {@link #restartEngine}. */
    Engine engine() {
        return engine;
    }

    /** The engine's HTTP API, {@code http://127.0.0.1:PORT}. */
    String httpBase() {
        return "http://127.0.0.1:" + engine.httpPort().orElseThrow(() -> new AssertionError("no HTTP API"));
    }

    /**
     * Starts another engine instance of this stack's application (a new state directory), serving HTTP as configured:
     * the group spreads the session partitions over both. The caller closes it.
     */
    Engine startSecondEngine(Duration deadline) throws Exception {
        Path dir = Files.createTempDirectory(name + "-engine-2");
        Engine second =
                Engine.start(engineConfig(SharedBroker.bootstrapServers(), dir, applicationId, engineSettings), http);
        if (!second.awaitRunning(deadline)) {
            second.close();
            throw new AssertionError("the second engine did not reach RUNNING within " + deadline);
        }
        return second;
    }

    /** The running engine's state directory. */
    Path stateDir() {
        return stateDir;
    }

    /**
     * Stops the engine as a SIGTERM would and starts another one with the same application id and a new, empty state
     * directory, so every store comes back from its changelog; returns once the new one is running. The old state
     * directory is deleted.
     *
     * @return when the old engine had stopped
     */
    Instant restartEngine(Duration deadline) throws Exception {
        engine.close();
        Instant stopped = Instant.now();
        deleteRecursively(stateDir);
        stateDir = Files.createTempDirectory(name + "-engine");
        engine = Engine.start(
                engineConfig(SharedBroker.bootstrapServers(), stateDir, applicationId, engineSettings), http);
        if (!engine.awaitRunning(deadline)) {
            throw new AssertionError("the restarted engine did not reach RUNNING within " + deadline);
        }
        return stopped;
    }

    /**
     * Registers an agent whose definition is {@code body} (YAML: tools, limits, script, ...) under a new name starting
     * with {@code prefix}, version 1; a body without a {@code model} gets the scripted one. Returns the name.
     */
    String putAgent(String prefix, String body) {
        String name = prefix + "-" + UUID.randomUUID();
        String model = body.startsWith("model:") ? "" : "model: {provider: scripted}\n";
        client.putAgent(AgentDefinitions.parse("name: %s\nversion: 1\n%s%s".formatted(name, model, body), "test"));
        return name;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    @Override
    public void close() {
        client.close();
        worker.close();
        engine.close();
    }
}
