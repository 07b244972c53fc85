package io.agentlog.local;

import io.agentlog.bench.BenchException;
import io.agentlog.bench.BenchTarget;
import io.agentlog.bench.StackProcess;
import io.agentlog.bench.StackProvider;
import io.agentlog.bench.StackSpec;
import io.agentlog.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * The throwaway stacks of the benchmark suite: for each scenario a fresh {@link EmbeddedStack} of the shape it asks
 * for (a broker with a loopback JMX connector, the topics of the default pools and the scenario's topic-only pools,
 * its engines each with a JMX connector, one worker for the default pools) in a new temporary directory. Closing the
 * target stops the stack (also on Ctrl-C) and deletes its data; the logs stay.
 */
public final class BenchStacks implements StackProvider {

    private final Consumer<String> step;

    /** @param step where the stacks' progress lines go */
    public BenchStacks(Consumer<String> step) {
        this.step = step;
    }

    @Override
    public BenchTarget open(String scenario, StackSpec spec) {
        Path dir;
        try {
            dir = Files.createTempDirectory("agentlog-bench-" + scenario + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the throwaway stack: " + e.getMessage(), e);
        }
        step.accept("starting a throwaway stack for " + scenario + " (logs in " + dir + ")");
        EmbeddedStack stack = EmbeddedStack.startBroker(
                dir, new EmbeddedStack.Options(Topics.DEFAULT_POOLS, spec.topicOnlyPools(), true), step);
        Target target = new Target(stack, spec);
        try {
            stack.startEngines(spec.engines(), spec.engineEnv(), List.of("-Xmx" + spec.engineHeap()), true);
            stack.startWorker();
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
        return target;
    }

    /** One scenario's stack. */
    private static final class Target implements BenchTarget {
        private final EmbeddedStack stack;
        private final StackSpec spec;
        private final Thread closer;
        private boolean closed;

        Target(EmbeddedStack stack, StackSpec spec) {
            this.stack = stack;
            this.spec = spec;
            this.closer = new Thread(stack::close, "agentlog-bench-stop");
            Runtime.getRuntime().addShutdownHook(closer);
        }

        @Override
        public String bootstrapServers() {
            return stack.bootstrapServers();
        }

        @Override
        public List<StackProcess> processes() {
            List<StackProcess> processes = new ArrayList<>();
            processes.add(new StackProcess(
                    "broker",
                    StackProcess.Role.BROKER,
                    stack.broker().pid(),
                    stack.broker().jmxPort(),
                    Optional.empty()));
            for (EmbeddedStack.EngineProcess engine : stack.engines()) {
                processes.add(new StackProcess(
                        engine.name(),
                        StackProcess.Role.ENGINE,
                        engine.process().pid(),
                        engine.jmxPort(),
                        Optional.of(engine.stateDir())));
            }
            stack.worker()
                    .ifPresent(worker -> processes.add(new StackProcess(
                            "worker", StackProcess.Role.WORKER, worker.pid(), OptionalInt.empty(), Optional.empty())));
            return processes;
        }

        @Override
        public String description() {
            return "throwaway stack on this machine: a broker, " + spec.engines() + " engine"
                    + (spec.engines() > 1 ? "s of one application" : "") + " (-Xmx" + spec.engineHeap()
                    + (spec.engineEnv().isEmpty() ? "" : ", " + spec.engineEnv()) + "), 1 worker (pools "
                    + String.join(", ", Topics.DEFAULT_POOLS) + ")"
                    + (spec.topicOnlyPools().isEmpty()
                            ? ""
                            : ", work topics without a worker: " + String.join(", ", spec.topicOnlyPools()))
                    + "; logs in " + stack.dir();
        }

        @Override
        public long killEngine(String name) {
            long at = System.currentTimeMillis();
            try {
                stack.killEngine(name);
            } catch (IllegalArgumentException e) {
                throw new BenchException("cannot kill " + name + ": " + e.getMessage(), e);
            }
            return at;
        }

        @Override
        public Optional<String> deadProcess() {
            return stack.deadComponent();
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                Runtime.getRuntime().removeShutdownHook(closer);
            } catch (IllegalStateException e) {
                // shutting down: the hook closes the stack
            }
            stack.close();
            stack.deleteData();
        }
    }
}
