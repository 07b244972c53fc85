package io.agentlog.local;

import io.agentlog.client.AgentlogClient;
import io.agentlog.engine.Engine;
import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.testkit.ChatCompletionsServer;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.model.Credential;
import io.agentlog.worker.model.ModelEndpoint;
import io.agentlog.worker.model.OpenAiModelProvider;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The engine (its own application id and state) and a worker serving the default pools, in this JVM, on the test
 * JVM's shared broker, with a client. The OpenAI-compatible provider's default endpoint gets a dummy API key; a test
 * with a local model server gives the worker an endpoint for it ({@link #withModelEndpoint}).
 */
final class InProcessStack implements AutoCloseable {

    final Engine engine;
    final Worker worker;
    final AgentlogClient client;
    final Path stateDir;

    private InProcessStack(Engine engine, Worker worker, AgentlogClient client, Path stateDir) {
        this.engine = engine;
        this.worker = worker;
        this.client = client;
        this.stateDir = stateDir;
    }

    /** The name agent definitions of the tests use for the local model server's endpoint. */
    static final String MODEL_ENDPOINT = "test-llm";

    static InProcessStack start(String name, Duration deadline) throws Exception {
        return start(name, deadline, UnaryOperator.identity());
    }

    /** Gives the worker the endpoint {@value #MODEL_ENDPOINT}: the server, with key {@code key}. */
    static UnaryOperator<WorkerConfig.Builder> withModelEndpoint(ChatCompletionsServer server, String key) {
        return worker -> worker.modelEndpoints(List.of(new ModelEndpoint(
                MODEL_ENDPOINT,
                OpenAiModelProvider.NAME,
                URI.create(server.baseUrl()),
                Optional.of(Credential.of(key, "the test")))));
    }

    static InProcessStack start(String name, Duration deadline, UnaryOperator<WorkerConfig.Builder> worker)
            throws Exception {
        String bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, Duration.ofSeconds(30));
        Path stateDir = Files.createTempDirectory(name + "-engine");
        Engine engine = Engine.start(
                EngineConfig.defaults(bootstrap, stateDir).withApplicationId(name + "-" + UUID.randomUUID()));
        Worker running = Worker.start(
                worker.apply(WorkerConfig.defaults(bootstrap).toBuilder().openAiApiKey(Optional.of("test-key")))
                        .build());
        InProcessStack stack = new InProcessStack(engine, running, new AgentlogClient(bootstrap), stateDir);
        if (!engine.awaitRunning(deadline)) {
            stack.close();
            throw new AssertionError("the engine did not reach RUNNING within " + deadline);
        }
        return stack;
    }

    @Override
    public void close() {
        client.close();
        worker.close();
        engine.close();
    }
}
