package io.agentlog.local;

import io.agentlog.schemas.TopicSetup;
import io.agentlog.testkit.BrokerOptions;
import io.agentlog.testkit.ChildJvm;
import io.agentlog.testkit.Jmx;
import io.agentlog.testkit.KafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A throwaway stack for one command ({@code demo}, {@code bench}): a broker on a free port with the topics, then
 * one or more engines of one application and a worker as child processes, all under one directory (logs:
 * broker/broker.log, engine.log or engine-N.log, worker.log). Closing stops the engines and the worker together,
 * then the broker; it is safe to call twice, and from a shutdown hook.
 */
public final class EmbeddedStack implements AutoCloseable {

    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    /**
     * What to start besides the broker's defaults.
     *
     * @param workerPools the pools the worker serves; each gets a work topic
     * @param topicOnlyPools pools that get a work topic but no worker (benchmarks park work there)
     * @param brokerJmx open a JMX connector on the broker, on 127.0.0.1 only (benchmarks read its request metrics)
     */
    public record Options(List<String> workerPools, List<String> topicOnlyPools, boolean brokerJmx) {

        public Options {
            workerPools = List.copyOf(workerPools);
            topicOnlyPools = List.copyOf(topicOnlyPools);
        }

        public static Options of(List<String> workerPools) {
            return new Options(workerPools, List.of(), false);
        }

        /** Every pool that gets a work topic: the workers' and the topic-only ones. */
        public List<String> topicPools() {
            List<String> all = new ArrayList<>(workerPools);
            topicOnlyPools.stream().filter(p -> !all.contains(p)).forEach(all::add);
            return List.copyOf(all);
        }
    }

    /** One engine child: its name (which names its log and state dir), process and JMX port when it has one. */
    public record EngineProcess(String name, Process process, Path stateDir, Path logFile, OptionalInt jmxPort) {}

    private final Path dir;
    private final Options options;
    private final Consumer<String> step;
    private final KafkaBroker broker;
    private final List<EngineProcess> engines = new ArrayList<>();
    private final Set<String> killed = new HashSet<>();
    private Process worker;
    private boolean closed;

    private EmbeddedStack(Path dir, Options options, Consumer<String> step, KafkaBroker broker) {
        this.dir = dir;
        this.options = options;
        this.step = step;
        this.broker = broker;
    }

    /** Starts the broker and creates the topics; the engine and worker come with {@link #startEngineAndWorker()}. */
    public static EmbeddedStack startBroker(Path dir, List<String> pools, Consumer<String> step) {
        return startBroker(dir, Options.of(pools), step);
    }

    /** Starts the broker (with JMX if asked) and creates the topics of every pool of {@code options}. */
    public static EmbeddedStack startBroker(Path dir, Options options, Consumer<String> step) {
        // closed by this stack (also on Ctrl-C) after the engine and the worker, which need it to stop cleanly
        KafkaBroker broker = KafkaBroker.start(BrokerOptions.builder(dir.resolve("broker"))
                .closeOnJvmExit(false)
                .jmxPort(options.brokerJmx() ? 0 : BrokerOptions.NO_JMX)
                .build());
        EmbeddedStack stack = new EmbeddedStack(dir, options, step, broker);
        step.accept("Kafka broker up on %s (pid %d)".formatted(broker.bootstrapServers(), broker.pid()));
        try {
            TopicSetup.createAll(broker.bootstrapServers(), options.topicPools(), (short) 1, Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        step.accept("Created the topics (worker pools %s)".formatted(String.join(", ", options.topicPools())));
        return stack;
    }

    public synchronized void startEngineAndWorker() {
        startEngineAndWorker(Map.of());
    }

    /** Starts the engine with further {@code AGENTLOG_*} settings (e.g. a short retention), and the worker. */
    public synchronized void startEngineAndWorker(Map<String, String> engineEnv) {
        startEngines(1, engineEnv, List.of(), false);
        startWorker();
    }

    /**
     * Starts {@code count} engines of one application, each with its own state dir and log: one is called
     * {@code engine} (log engine.log, state dir engine-state), several {@code engine-1}, {@code engine-2}, ...
     *
     * @param jvmArgs JVM options after the usual ones (e.g. a larger {@code -Xmx})
     * @param jmx give each engine a JMX connector on a free port of 127.0.0.1
     */
    public synchronized List<EngineProcess> startEngines(
            int count, Map<String, String> env, List<String> jvmArgs, boolean jmx) {
        if (count < 1 || !engines.isEmpty()) {
            throw new IllegalStateException(
                    "engines start once, at least one, but " + count + " were asked with " + engines.size() + " up");
        }
        for (int i = 1; i <= count; i++) {
            String name = count == 1 ? "engine" : "engine-" + i;
            Path stateDir = count == 1 ? engineStateDir() : dir.resolve(name + "-state");
            Path logFile = dir.resolve(name + ".log");
            OptionalInt jmxPort = jmx ? OptionalInt.of(Jmx.freePort()) : OptionalInt.empty();
            List<String> args = new ArrayList<>(jvmArgs);
            jmxPort.ifPresent(port -> args.addAll(Jmx.loopbackJvmArgs(port)));
            Process process = Components.startEngine(bootstrapServers(), stateDir, logFile, false, env, args);
            engines.add(new EngineProcess(name, process, stateDir, logFile, jmxPort));
            step.accept("Started the %s (pid %d)".formatted(name, process.pid()));
        }
        return List.copyOf(engines);
    }

    /** Starts the worker, serving the options' worker pools. */
    public synchronized Process startWorker() {
        if (worker != null) {
            throw new IllegalStateException("the worker is already started (pid " + worker.pid() + ")");
        }
        worker = Components.startWorker(bootstrapServers(), options.workerPools(), dir.resolve("worker.log"), false);
        step.accept("Started a worker (pid %d)".formatted(worker.pid()));
        return worker;
    }

    /** SIGKILL to one engine, as in a crash; returns its pid. It is not reported as dead afterwards. */
    public synchronized long killEngine(String name) {
        EngineProcess engine = engines.stream()
                .filter(e -> e.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no engine called '" + name + "' in this stack"));
        killed.add(name);
        return ChildJvm.kill(engine.process());
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public KafkaBroker broker() {
        return broker;
    }

    public synchronized List<EngineProcess> engines() {
        return List.copyOf(engines);
    }

    public synchronized Optional<Process> worker() {
        return Optional.ofNullable(worker);
    }

    public Path dir() {
        return dir;
    }

    /** Where the (single) engine keeps its RocksDB stores. */
    public Path engineStateDir() {
        return dir.resolve("engine-state");
    }

    /** Why the stack is broken, when an engine or the worker has exited: which one, its code, its log's end. */
    public synchronized Optional<String> deadComponent() {
        for (EngineProcess engine : engines) {
            if (!killed.contains(engine.name()) && !engine.process().isAlive()) {
                return Optional.of(death(engine.name(), engine.process(), engine.logFile()));
            }
        }
        if (worker != null && !worker.isAlive()) {
            return Optional.of(death("worker", worker, dir.resolve("worker.log")));
        }
        return Optional.empty();
    }

    private static String death(String which, Process process, Path log) {
        return "the " + which + " exited with code " + process.exitValue() + "; the end of " + log + ":\n"
                + LocalStack.tail(log, 30);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Process> children = new ArrayList<>();
        if (worker != null) {
            children.add(worker);
        }
        engines.forEach(e -> children.add(e.process()));
        if (!children.isEmpty()) {
            // SIGTERM to all first, so they shut down in parallel
            children.forEach(Process::destroy);
            children.forEach(p -> ChildJvm.stop(p, STOP_GRACE));
            step.accept("Stopped the engine%s and the worker".formatted(engines.size() > 1 ? "s" : ""));
        }
        broker.close();
        step.accept("Stopped the broker");
    }

    /** Deletes the broker's data and the engines' state; the logs stay. */
    public void deleteData() {
        deleteRecursively(dir.resolve("broker").resolve("kraft-logs"));
        deleteRecursively(engineStateDir());
        engines().forEach(e -> deleteRecursively(e.stateDir()));
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
