package io.agentlog.local.chaos;

import io.agentlog.local.Components;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.testkit.BrokerOptions;
import io.agentlog.testkit.ChildJvm;
import io.agentlog.testkit.KafkaBroker;
import io.agentlog.testkit.KafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos test's stack, every part a separate process: a broker (or a {@link KafkaCluster} of several), {@code
 * engines} engine instances of one application (each with its own state directory, one standby replica) and {@code
 * workers} chaos workers ({@link ChaosWorkerMain}) serving the model and tools pools. Engines, workers and the
 * brokers of a cluster live in {@link Slot}s that can be killed with SIGKILL and started again, with the same state or
 * data directory and log file.
 *
 * <p>The testkit broker detects dead members fast: streams and share group sessions time out after
 * {@value #GROUP_SESSION_TIMEOUT_MS} ms instead of 45 s, so a killed process's tasks and work items move on within
 * seconds (heartbeats are every second); a cluster fences a killed broker after
 * {@value KafkaCluster#BROKER_SESSION_TIMEOUT_MS} ms and moves its leaderships.
 */
final class ChaosStack implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChaosStack.class);

    static final String APPLICATION_ID = "agentlog-chaos";
    static final int GROUP_SESSION_TIMEOUT_MS = KafkaBroker.GROUP_SESSION_TIMEOUT_MS;
    static final List<String> POOLS = List.of(Topics.MODEL_POOL, Topics.TOOLS_POOL);
    /**
     * The engine's replication factor for the Streams internal topics (changelogs), {@code replication.factor}; set to
     * the cluster's. Streams' default (-1, the broker's {@code default.replication.factor}) gives the same on the
     * testkit cluster; the variable makes the intent explicit for an engine that reads it.
     */
    static final String REPLICATION_FACTOR_ENV = "AGENTLOG_REPLICATION_FACTOR";

    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    enum Kind {
        ENGINE,
        WORKER,
        BROKER;

        /** {@code engine}, {@code worker}, {@code broker}: as the report names them. */
        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One engine, worker or broker of the cluster, restartable. */
    final class Slot {
        final String name;
        final Kind kind;
        /** A broker's index in the cluster. */
        private final int node;

        private volatile Process process;

        Slot(String name, Kind kind, int node) {
            this.name = name;
            this.kind = kind;
            this.node = node;
        }

        /**
         * Starts the process unless it is alive; a broker is started from its data directory and awaited until it
         * answers.
         */
        synchronized void start() {
            if (alive()) {
                return;
            }
            switch (kind) {
                case ENGINE -> process = startEngine(this);
                case WORKER -> process = startWorker(this);
                case BROKER -> cluster().restart(node);
            }
            log.info(
                    "Started {} (pid {})",
                    name,
                    kind == Kind.BROKER ? cluster().node(node).pid() : process.pid());
        }

        /** SIGKILL; returns the pid killed. */
        synchronized long kill() {
            long pid = kind == Kind.BROKER ? cluster().kill(node) : ChildJvm.kill(process);
            log.info("Killed {} (pid {}) with SIGKILL", name, pid);
            return pid;
        }

        boolean alive() {
            if (kind == Kind.BROKER) {
                return cluster().node(node).isAlive();
            }
            Process p = process;
            return p != null && p.isAlive();
        }

        Path logFile() {
            return dir.resolve(name + ".log");
        }
    }

    private final Path dir;
    private final AutoCloseable kafka;
    private final String bootstrapServers;
    private final Optional<KafkaCluster> cluster;
    private final Path toolLedger;
    private final Path modelLedger;
    private final List<Slot> slots = new ArrayList<>();

    private ChaosStack(Path dir, AutoCloseable kafka, String bootstrapServers, Optional<KafkaCluster> cluster) {
        this.dir = dir;
        this.kafka = kafka;
        this.bootstrapServers = bootstrapServers;
        this.cluster = cluster;
        this.toolLedger = dir.resolve("tool-ledger.txt");
        this.modelLedger = dir.resolve("model-ledger.txt");
    }

    /**
     * Starts one broker, or a cluster of {@code brokers} (data under {@code brokers/}), creates the topics with the
     * cluster's replication, then starts the engines and workers (not waiting for them).
     */
    static ChaosStack start(Path dir, int brokers, int engines, int workers) {
        ChaosStack stack;
        if (brokers == 1) {
            KafkaBroker broker = KafkaBroker.start(BrokerOptions.builder(dir.resolve("broker"))
                    .closeOnJvmExit(false)
                    .build());
            stack = new ChaosStack(dir, broker, broker.bootstrapServers(), Optional.empty());
        } else {
            KafkaCluster cluster = KafkaCluster.start(
                    brokers,
                    BrokerOptions.builder(dir.resolve("brokers"))
                            .closeOnJvmExit(false)
                            .build());
            stack = new ChaosStack(dir, cluster, cluster.bootstrapServers(), Optional.of(cluster));
        }
        try {
            TopicSetup.createAll(
                    stack.bootstrapServers(), POOLS, (short) stack.replicationFactor(), Duration.ofSeconds(30));
            for (int i = 1; i <= engines; i++) {
                stack.slots.add(stack.new Slot("engine-" + i, Kind.ENGINE, -1));
            }
            for (int i = 1; i <= workers; i++) {
                stack.slots.add(stack.new Slot("worker-" + i, Kind.WORKER, -1));
            }
            stack.slots.forEach(Slot::start);
            if (brokers > 1) {
                for (int i = 0; i < brokers; i++) {
                    stack.slots.add(stack.new Slot("broker-" + KafkaCluster.nodeId(i), Kind.BROKER, i));
                }
            }
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    /** Replicas per partition: the cluster's, 1 on a single broker. */
    int replicationFactor() {
        return cluster.map(KafkaCluster::replicationFactor).orElse(1);
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

    /**
     * Makes the cluster ready to lose a broker: starts every broker that is down and waits for restarts under way
     * (a broker's {@link Slot#start} holds its slot until the broker answers), then waits until every broker runs
     * and every replica is in sync again, so that with one broker gone each partition still has its minimum in-sync
     * replicas and the controller quorum a majority.
     *
     * @throws IllegalStateException when the cluster is not fully replicated within {@code timeout}
     */
    void readyToLoseABroker(Duration timeout) {
        for (Slot slot : slots) {
            if (slot.kind == Kind.BROKER) {
                slot.start();
            }
        }
        cluster().awaitFullyReplicated(timeout);
    }

    /**
     * Checks that every topic, the engine's changelogs and Kafka's internal topics included, has the cluster's
     * replication factor: a topic with fewer replicas would lose data or stall when its broker is killed.
     *
     * @throws IllegalStateException naming the topics with fewer replicas
     */
    void checkReplication() {
        if (cluster.isEmpty()) {
            return;
        }
        Map<String, Integer> fewer = new TreeMap<>(cluster().replicationFactors());
        fewer.values().removeIf(replicas -> replicas >= replicationFactor());
        if (!fewer.isEmpty()) {
            throw new IllegalStateException("topics with fewer than " + replicationFactor() + " replicas on a "
                    + cluster().size() + "-broker cluster: " + fewer + "; the engine's changelogs take Streams' "
                    + "replication.factor (-1 = the broker default), the contract's topics TopicSetup's");
        }
    }

    private KafkaCluster cluster() {
        return cluster.orElseThrow(() -> new IllegalStateException("the chaos stack runs a single broker"));
    }

    private Process startEngine(Slot slot) {
        Map<String, String> env =
                new HashMap<>(Map.of("AGENTLOG_APPLICATION_ID", APPLICATION_ID, "AGENTLOG_STANDBY_REPLICAS", "1"));
        cluster.ifPresent(c -> env.put(REPLICATION_FACTOR_ENV, String.valueOf(c.replicationFactor())));
        return Components.startEngine(
                bootstrapServers(), dir.resolve(slot.name + "-state"), slot.logFile(), false, env);
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
        try {
            kafka.close();
        } catch (Exception e) {
            log.warn("Could not stop the chaos stack's Kafka in {}: {}", dir, e.getMessage());
        }
    }
}
