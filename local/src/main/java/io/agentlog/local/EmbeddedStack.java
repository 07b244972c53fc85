package io.agentlog.local;

import io.agentlog.schemas.TopicSetup;
import io.agentlog.testkit.BrokerOptions;
import io.agentlog.testkit.ChildJvm;
import io.agentlog.testkit.KafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A throwaway stack for one command ({@code demo}, {@code bench}): a broker on a free port with the topics, then
 * the engine and a worker as child processes, all under one directory (logs: broker/broker.log, engine.log,
 * worker.log). Closing stops the engine and the worker together, then the broker; it is safe to call twice, and
 * from a shutdown hook.
 */
public final class EmbeddedStack implements AutoCloseable {

    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final Path dir;
    private final List<String> pools;
    private final Consumer<String> step;
    private final KafkaBroker broker;
    private Process engine;
    private Process worker;
    private boolean closed;

    private EmbeddedStack(Path dir, List<String> pools, Consumer<String> step, KafkaBroker broker) {
        this.dir = dir;
        this.pools = List.copyOf(pools);
        this.step = step;
        this.broker = broker;
    }

    /** Starts the broker and creates the topics; the engine and worker come with {@link #startEngineAndWorker()}. */
    public static EmbeddedStack startBroker(Path dir, List<String> pools, Consumer<String> step) {
        // closed by this stack (also on Ctrl-C) after the engine and the worker, which need it to stop cleanly
        KafkaBroker broker = KafkaBroker.start(BrokerOptions.builder(dir.resolve("broker"))
                .closeOnJvmExit(false)
                .build());
        EmbeddedStack stack = new EmbeddedStack(dir, pools, step, broker);
        step.accept("Kafka broker up on %s (pid %d)".formatted(broker.bootstrapServers(), broker.pid()));
        try {
            TopicSetup.createAll(broker.bootstrapServers(), pools, (short) 1, Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        step.accept("Created the topics (worker pools %s)".formatted(String.join(", ", pools)));
        return stack;
    }

    public synchronized void startEngineAndWorker() {
        startEngineAndWorker(Map.of());
    }

    /** Starts the engine with further {@code AGENTLOG_*} settings (e.g. a short retention), and the worker. */
    public synchronized void startEngineAndWorker(Map<String, String> engineEnv) {
        engine = Components.startEngine(
                bootstrapServers(), engineStateDir(), dir.resolve("engine.log"), false, engineEnv);
        worker = Components.startWorker(bootstrapServers(), pools, dir.resolve("worker.log"), false);
        step.accept("Started the engine (pid %d) and a worker (pid %d)".formatted(engine.pid(), worker.pid()));
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public Path dir() {
        return dir;
    }

    /** Where the engine keeps its RocksDB stores. */
    public Path engineStateDir() {
        return dir.resolve("engine-state");
    }

    /** Why the stack is broken, when the engine or the worker has exited: which one, its code, its log's end. */
    public Optional<String> deadComponent() {
        for (Process process : new Process[] {engine, worker}) {
            if (process != null && !process.isAlive()) {
                String which = process == engine ? "engine" : "worker";
                Path log = dir.resolve(which + ".log");
                return Optional.of("the " + which + " exited with code " + process.exitValue() + "; the end of " + log
                        + ":\n" + LocalStack.tail(log, 30));
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (engine != null) {
            // SIGTERM to both first, so they shut down in parallel
            worker.destroy();
            engine.destroy();
            ChildJvm.stop(worker, STOP_GRACE);
            ChildJvm.stop(engine, STOP_GRACE);
            step.accept("Stopped the engine and the worker");
        }
        broker.close();
        step.accept("Stopped the broker");
    }

    /** Deletes the broker's data and the engine's state; the logs stay. */
    public void deleteData() {
        deleteRecursively(dir.resolve("broker").resolve("kraft-logs"));
        deleteRecursively(engineStateDir());
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temp file is harmless
        }
    }
}
