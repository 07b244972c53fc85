package io.agentlog.local.chaos;

import io.agentlog.local.Components;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.testkit.BrokerOptions;
import io.agentlog.testkit.ChildJvm;
import io.agentlog.testkit.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos test's stack, every part a separate process: a broker, {@code engines} engine instances of one
 * application (each with its own state directory, one standby replica) and {@code workers} chaos workers
 * ({@link ChaosWorkerMain}) serving the model and tools pools. Engines and workers live in {@link Slot}s that can be
 * killed with SIGKILL and started again, with the same state directory and log file.
 *
 * <p>The testkit broker detects dead members fast: streams and share group sessions time out after
 * {@value #GROUP_SESSION_TIMEOUT_MS} ms instead of 45 s, so a killed process's tasks and work items move on within
 * seconds (heartbeats are every second).
 */
final class ChaosStack implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChaosStack.class);

    static final String APPLICATION_ID = "agentlog-chaos";
    static final int GROUP_SESSION_TIMEOUT_MS = KafkaBroker.GROUP_SESSION_TIMEOUT_MS;
    static final List<String> POOLS = List.of(Topics.MODEL_POOL, Topics.TOOLS_POOL);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    enum Kind {
        ENGINE,
        WORKER
    }

    /** One engine or worker process, restartable. */
    final class Slot {
        final String name;
        final Kind kind;
        private volatile Process process;

        Slot(String name, Kind kind) {
            this.name = name;
            this.kind = kind;
        }

        synchronized void start() {
            process = kind == Kind.ENGINE ? startEngine(this) : startWorker(this);
            log.info("Started {} (pid {})", name, process.pid());
        }

        /** SIGKILL; returns the pid killed. */
        synchronized long kill() {
            Process p = process;
            p.destroyForcibly();
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            log.info("Killed {} (pid {}) with SIGKILL", name, p.pid());
            return p.pid();
        }

        boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }

        Path logFile() {
            return dir.resolve(name + ".log");
        }
    }

    private final Path dir;
    private final KafkaBroker broker;
    private final Path toolLedger;
    private final Path modelLedger;
    private final List<Slot> slots = new ArrayList<>();

    private ChaosStack(Path dir, KafkaBroker broker) {
        this.dir = dir;
        this.broker = broker;
        this.toolLedger = dir.resolve("tool-ledger.txt");
        this.modelLedger = dir.resolve("model-ledger.txt");
    }

    /** Starts the broker, creates the topics, then starts the engines and workers (not waiting for them). */
    static ChaosStack start(Path dir, int engines, int workers) {
        KafkaBroker broker = KafkaBroker.start(BrokerOptions.builder(dir.resolve("broker"))
                .closeOnJvmExit(false)
                .build());
        ChaosStack stack = new ChaosStack(dir, broker);
        try {
            TopicSetup.createAll(broker.bootstrapServers(), POOLS, (short) 1, Duration.ofSeconds(30));
            for (int i = 1; i <= engines; i++) {
                stack.slots.add(stack.new Slot("engine-" + i, Kind.ENGINE));
            }
            for (int i = 1; i <= workers; i++) {
                stack.slots.add(stack.new Slot("worker-" + i, Kind.WORKER));
            }
            stack.slots.forEach(Slot::start);
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    Path dir() {
        return dir;
    }

    Path toolLedger() {
        return toolLedger;
    }

    Path modelLedger() {
        return modelLedger;
    }

    List<Slot> slots() {
        return List.copyOf(slots);
    }

    private Process startEngine(Slot slot) {
        return Components.startEngine(
                bootstrapServers(),
                dir.resolve(slot.name + "-state"),
                slot.logFile(),
                false,
                Map.of("AGENTLOG_APPLICATION_ID", APPLICATION_ID, "AGENTLOG_STANDBY_REPLICAS", "1"));
    }

    private Process startWorker(Slot slot) {
        return ChildJvm.builder(ChaosWorkerMain.class.getName())
                .jvmArgs(Components.jvmArgs("384m"))
                .env(Map.of(
                        Components.BOOTSTRAP_ENV,
                        bootstrapServers(),
                        Components.POOLS_ENV,
                        String.join(",", POOLS),
                        "AGENTLOG_WORKER_ID",
                        slot.name,
                        // a killed worker's lanes restart within seconds; fewer lanes keep 3 workers light on 2 cores
                        "AGENTLOG_CONSUMERS_PER_POOL",
                        "4",
                        "AGENTLOG_RETRY_BACKOFF_MS",
                        "200",
                        ChaosWorkerMain.TOOL_LEDGER_ENV,
                        toolLedger.toString(),
                        ChaosWorkerMain.MODEL_LEDGER_ENV,
                        modelLedger.toString()))
                .logFile(slot.logFile())
                .detached(false)
                .build()
                .start();
    }

    @Override
    public void close() {
        for (Slot slot : slots) {
            Process p = slot.process;
            if (p != null && p.isAlive()) {
                p.destroy();
            }
        }
        for (Slot slot : slots) {
            Process p = slot.process;
            if (p != null) {
                ChildJvm.stop(p, STOP_GRACE);
            }
        }
        broker.close();
    }
}
