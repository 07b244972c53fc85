package io.agentlog.local;

import io.agentlog.cli.EventLines;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AvroJson;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code agentlog demo}: a broker on a free port, the topics, the engine and a worker as child processes, the demo
 * agent registered, one task submitted and followed event by event to its result; then everything is stopped.
 * Nothing leaves the machine: the demo agent's model is scripted.
 */
public final class Demo {

    public static final String DEMO_AGENT_RESOURCE = "/agents/demo-agent.yaml";
    public static final String DEFAULT_INPUT =
            "Write a short note on why agents belong on Kafka to notes/kafka.md, check it, and tell me where it is.";

    private final PrintWriter out;
    private final long startNanos = System.nanoTime();
    private EmbeddedStack stack;

    public Demo(PrintWriter out) {
        this.out = out;
    }

    /** The definition text of the demo agent, from the class path. */
    public static String demoAgentText() {
        try (InputStream in = Demo.class.getResourceAsStream(DEMO_AGENT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the demo agent " + DEMO_AGENT_RESOURCE + " is not on the class path; "
                        + "rebuild with ./mvnw -pl local package");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the demo agent: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the demo; returns the session's result.
     *
     * @param agentFile a definition file to run instead of the built-in demo agent, or null
     * @param keepData keep the broker's data and the engine's state (logs are always kept)
     */
    public SessionResult run(Path agentFile, String input, Duration timeout, boolean keepData) throws IOException {
        AgentDefinition agent = agentFile == null
                ? AgentDefinitions.parse(demoAgentText(), "demo-agent.yaml")
                : AgentDefinitions.load(agentFile);
        Path dir = Files.createTempDirectory("agentlog-demo-");
        Thread onInterrupt = new Thread(
                () -> {
                    out.println();
                    out.println("Interrupted: stopping the worker, the engine and the broker...");
                    out.flush();
                    stopStack();
                    step("Logs are in %s", dir);
                },
                "agentlog-demo-stop");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try {
            out.printf("agentlog demo: a scripted agent on a local Kafka broker, with the engine and a worker in child "
                    + "processes%n");
            out.printf("Logs in %s (broker/broker.log, engine.log, worker.log)%n", dir);
            out.flush();

            EmbeddedStack embedded = EmbeddedStack.startBroker(dir, Topics.DEFAULT_POOLS, line -> step("%s", line));
            setStack(embedded);
            try (AgentlogClient client = new AgentlogClient(embedded.bootstrapServers())) {
                // Registered before the engine starts, so the engine's agent table holds it from the first task on.
                String key = client.putAgent(agent).key();
                step(
                        "Registered agent %s (%d tools, %s model)",
                        key, agent.getTools().size(), agent.getModel().getProvider());
                embedded.startEngineAndWorker();

                String sessionId = client.submit(AgentlogClient.task(agent.getName(), input)
                        .setAgentVersion(agent.getVersion())
                        .build());
                step("Submitted session %s", sessionId);
                follow(client, sessionId, timeout, embedded);
                SessionResult result = client.awaitResult(sessionId, Duration.ofSeconds(30));
                out.println("Result:");
                out.println(AvroJson.toPrettyJson(result));
                out.flush();
                return result;
            }
        } finally {
            stopStack();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException e) {
                // shutting down already: the hook does the same
            }
            if (!keepData && stack != null) {
                stack.deleteData();
            }
            step("Done; logs are in %s", dir);
        }
    }

    public static boolean succeeded(SessionResult result) {
        return result.getStatus() == ResultStatus.COMPLETED;
    }

    /**
     * Prints the session's events until it ends, or fails at once if the engine or the worker dies meanwhile. The
     * watch runs on a thread of its own: never on the common fork-join pool, which also completes process exits.
     */
    private void follow(AgentlogClient client, String sessionId, Duration timeout, EmbeddedStack embedded) {
        ExecutorService watcher = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "agentlog-demo-watch");
            thread.setDaemon(true);
            return thread;
        });
        Future<SessionEvent> watching =
                watcher.submit(() -> client.watch(sessionId, timeout, event -> step("%s", EventLines.format(event))));
        long deadline = System.nanoTime() + timeout.toNanos() + 5_000_000_000L;
        try {
            while (true) {
                try {
                    watching.get(200, TimeUnit.MILLISECONDS);
                    return;
                } catch (TimeoutException e) {
                    embedded.deadComponent().ifPresent(why -> {
                        throw new IllegalStateException(
                                why.replaceFirst("; the end", " while the session ran; the end"));
                    });
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("session " + sessionId + " did not end within "
                                + timeout.toSeconds() + " s; see the logs in " + embedded.dir());
                    }
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while following session " + sessionId, e);
        } finally {
            watching.cancel(true);
            watcher.shutdownNow();
        }
    }

    private void step(String format, Object... args) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        out.printf("[%5.1fs] %s%n", seconds, String.format(format, args));
        out.flush();
    }

    private synchronized void setStack(EmbeddedStack embedded) {
        stack = embedded;
    }

    private synchronized void stopStack() {
        if (stack == null) {
            return;
        }
        try {
            stack.close();
        } catch (RuntimeException e) {
            out.println("While stopping: " + e.getMessage());
        }
    }
}
