package io.agentlog.local;

import io.agentlog.client.AgentlogClient;
import io.agentlog.engine.Engine;
import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * The engine (its own application id and state) and a worker serving the default pools, in this JVM, on the test
 * JVM's shared broker, with a client. The OpenAI-compatible provider gets a dummy API key for local test servers.
 */
final class InProcessStack implements AutoCloseable {

    final Engine engine;
    final Worker worker;
    final AgentlogClient client;

    private InProcessStack(Engine engine, Worker worker, AgentlogClient client) {
        this.engine = engine;
        this.worker = worker;
        this.client = client;
    }

    static InProcessStack start(String name, Duration deadline) throws Exception {
        String bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, Duration.ofSeconds(30));
        Engine engine = Engine.start(EngineConfig.defaults(bootstrap, Files.createTempDirectory(name + "-engine"))
                .withApplicationId(name + "-" + UUID.randomUUID()));
        Worker worker = Worker.start(WorkerConfig.defaults(bootstrap).toBuilder()
                .openAiApiKey(Optional.of("test-key"))
                .build());
        InProcessStack stack = new InProcessStack(engine, worker, new AgentlogClient(bootstrap));
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
