package io.agentlog.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real multi-node Kafka cluster: {@code nodes} combined KRaft broker+controller nodes ({@link KafkaBroker}s, each
 * its own child JVM) on 127.0.0.1, all of them voters of one controller quorum, so that it survives the loss of a
 * minority. Topics are replicated: by default {@value #MAX_REPLICATION_FACTOR} replicas (fewer on a smaller cluster)
 * with at least {@value #MIN_IN_SYNC_REPLICAS} in sync for an {@code acks=all} write, the consumer offsets,
 * transaction state and share-group state topics included. Besides that each node has the settings of the single
 * broker (fast group failure detection, the quick sweep for timed-out transactions), and the controllers fence a
 * silent broker after {@value #BROKER_SESSION_TIMEOUT_MS} ms instead of 9 s, which is how long the partitions a
 * killed node led stay without a leader.
 *
 * <p>Any node can be killed ({@link #kill}, SIGKILL) and started again from its data directory ({@link #restart}),
 * on the same ports. The data directory ({@code node-1/}, {@code node-2/}, ... under the options' directory) is not
 * reused by a later cluster: the quorum's addresses are part of its metadata, so {@link #start} formats a new one.
 */
public final class KafkaCluster implements AutoCloseable {

    /** Replicas per partition on a cluster of at least this many nodes. */
    public static final int MAX_REPLICATION_FACTOR = 3;
    /** In-sync replicas an {@code acks=all} write needs when a partition has {@value #MAX_REPLICATION_FACTOR}. */
    public static final int MIN_IN_SYNC_REPLICAS = 2;
    /** How long a broker may miss heartbeats before the controllers fence it and move its leaderships. */
    public static final int BROKER_SESSION_TIMEOUT_MS = 3000;

    private static final Logger log = LoggerFactory.getLogger(KafkaCluster.class);

    private final BrokerOptions template;
    private final StorageFormat format;
    private final List<BrokerOptions> nodeOptions;
    private final List<KafkaBroker> nodes;
    private final Thread shutdownHook;
    private boolean closed;

    private KafkaCluster(BrokerOptions template, StorageFormat format, List<BrokerOptions> nodeOptions) {
        this.template = template;
        this.format = format;
        this.nodeOptions = List.copyOf(nodeOptions);
        this.nodes = new ArrayList<>(nodeOptions.size());
        this.shutdownHook =
                template.closeOnJvmExit() ? new Thread(this::close, "kafka-cluster-stop-" + template.dataDir()) : null;
    }

    /**
     * Formats and starts {@code size} nodes and waits until every one answers.
     *
     * @param template the options every node shares: {@code dataDir} is the cluster's directory (one subdirectory per
     *     node), the heap is per node, {@code deleteOnClose} deletes the whole directory, {@code overrides} apply to
     *     every node and win over the cluster's settings; ports must be 0 (each node gets free ones) and the cluster
     *     runs attached to this JVM
     * @throws BrokerStartException when a node dies or does not answer within the start timeout (the others are
     *     stopped); the message carries the tail of its log
     */
    public static KafkaCluster start(int size, BrokerOptions template) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least 1 node, but size was " + size);
        }
        if (template.port() != 0 || template.controllerPort() != 0) {
            throw new IllegalArgumentException("the nodes of a cluster get free ports of their own, but the template "
                    + "asks for port " + template.port() + " and controller port " + template.controllerPort());
        }
        if (template.detached()) {
            throw new IllegalArgumentException("a cluster runs attached to this JVM, but the template is detached");
        }
        Path root = template.dataDir().toAbsolutePath();
        if (holdsNodes(root)) {
            throw new IllegalArgumentException("the cluster directory " + root + " already holds nodes; a cluster's "
                    + "quorum addresses are part of its metadata, so start a cluster in a new directory");
        }
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < 2 * size; i++) {
            ports.add(KafkaBroker.freePort(
                    ports.stream().mapToInt(Integer::intValue).toArray()));
        }
        String controllers = IntStream.range(0, size)
                .mapToObj(i -> KafkaBroker.HOST + ":" + ports.get(2 * i + 1))
                .collect(Collectors.joining(","));
        String initialControllers = IntStream.range(0, size)
                .mapToObj(
                        i -> nodeId(i) + "@" + KafkaBroker.HOST + ":" + ports.get(2 * i + 1) + ":" + Uuid.randomUuid())
                .collect(Collectors.joining(","));
        List<BrokerOptions> nodeOptions = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            BrokerOptions.Builder node = BrokerOptions.builder(root.resolve("node-" + nodeId(i)))
                    .port(ports.get(2 * i))
                    .controllerPort(ports.get(2 * i + 1))
                    .heap(template.heap())
                    .startTimeoutMs(template.startTimeoutMs())
                    .closeOnJvmExit(false) // the cluster stops its nodes together (see close)
                    .overrides(nodeConfig(nodeId(i), controllers, size));
            template.overrides().forEach(node::override);
            nodeOptions.add(node.build());
        }
        KafkaCluster cluster = new KafkaCluster(
                template,
                StorageFormat.initialControllers(Uuid.randomUuid().toString(), initialControllers),
                nodeOptions);
        if (cluster.shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        }
        long startedAt = System.nanoTime();
        try {
            // every node must run before any can answer: a controller quorum needs a majority
            for (BrokerOptions options : nodeOptions) {
                cluster.nodes.add(KafkaBroker.launch(options, cluster.format));
            }
            cluster.nodes.forEach(KafkaBroker::awaitReadyOrClose);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        log.info(
                "Kafka cluster of {} nodes answers on {} after {} ms (data in {})",
                size,
                cluster.bootstrapServers(),
                (System.nanoTime() - startedAt) / 1_000_000,
                root);
        return cluster;
    }

    /**
     * The broker configs of node {@code nodeId} on top of the single broker's: its place in the quorum and the
     * replication of every topic, internal ones included.
     */
    static Map<String, String> nodeConfig(int nodeId, String controllers, int size) {
        String replicas = String.valueOf(replicationFactor(size));
        String minIsr = String.valueOf(minInSyncReplicas(size));
        Map<String, String> config = new LinkedHashMap<>();
        config.put("node.id", String.valueOf(nodeId));
        config.put("controller.quorum.bootstrap.servers", controllers);
        config.put("default.replication.factor", replicas);
        config.put("min.insync.replicas", minIsr);
        config.put("offsets.topic.replication.factor", replicas);
        config.put("transaction.state.log.replication.factor", replicas);
        config.put("transaction.state.log.min.isr", minIsr);
        config.put("share.coordinator.state.topic.replication.factor", replicas);
        config.put("share.coordinator.state.topic.min.isr", minIsr);
        // A killed node's partitions get new leaders once the controllers fence it for missed heartbeats (by default
        // 2 s heartbeats, fenced after 9 s); until then every transaction that touches one of them waits. The
        // coordinator aborts a transaction open longer than its timeout, which Streams sets to 10 s, and the engine's
        // producer is then fenced: the engine rejoins its group and restores its tasks. Measured with `agentlog chaos
        // --brokers 3`, fencing after 6 s let transactions
        // outlive that timeout (both engines fenced, ~20 s without progress, recovery 25-45 s per broker kill);
        // fencing after 3 s with heartbeats every 500 ms did not (recovery 5-9 s). A live node that misses 6
        // heartbeats in a row on a stalled machine is fenced too, then unfenced on its next heartbeat: leaders move,
        // nothing is lost.
        config.put("broker.heartbeat.interval.ms", "500");
        config.put("broker.session.timeout.ms", String.valueOf(BROKER_SESSION_TIMEOUT_MS));
        return config;
    }

    /** {@value #MAX_REPLICATION_FACTOR} replicas, or every node of a smaller cluster. */
    public static int replicationFactor(int size) {
        return Math.min(MAX_REPLICATION_FACTOR, size);
    }

    /** {@value #MIN_IN_SYNC_REPLICAS} in sync with 3 replicas, so one node may be down; 1 with fewer replicas. */
    public static int minInSyncReplicas(int size) {
        return replicationFactor(size) >= MAX_REPLICATION_FACTOR ? MIN_IN_SYNC_REPLICAS : 1;
    }

    /** Every node's {@code 127.0.0.1:<port>}, comma-separated, dead ones included (clients skip those). */
    public String bootstrapServers() {
        return nodeOptions.stream()
                .map(options -> KafkaBroker.HOST + ":" + options.port())
                .collect(Collectors.joining(","));
    }

    public int size() {
        return nodeOptions.size();
    }

    /** Replicas per partition of new topics on this cluster. */
    public int replicationFactor() {
        return replicationFactor(size());
    }

    /** Node {@code index} (0-based; its {@code node.id} is {@code index + 1}), alive or not. */
    public synchronized KafkaBroker node(int index) {
        return nodes.get(index);
    }

    public synchronized List<KafkaBroker> nodes() {
        return List.copyOf(nodes);
    }

    /** The {@code node.id} of the node at {@code index}. */
    public static int nodeId(int index) {
        return index + 1;
    }

    public Path dataDir() {
        return template.dataDir().toAbsolutePath();
    }

    /** SIGKILLs node {@code index}; its data stays for {@link #restart}. Returns the pid killed. */
    public long kill(int index) {
        return node(index).kill();
    }

    /**
     * Starts node {@code index} again from its data directory, on its ports, and waits until it answers (it may still
     * be catching up on its replicas: see {@link #awaitFullyReplicated}). Does nothing when the node is alive.
     *
     * @throws BrokerStartException when it dies or does not answer within the start timeout
     */
    public void restart(int index) {
        KafkaBroker node;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the cluster in " + dataDir() + " is closed");
            }
            if (nodes.get(index).isAlive()) {
                return;
            }
            node = KafkaBroker.launch(nodeOptions.get(index), format);
            nodes.set(index, node);
        }
        node.awaitReadyOrClose();
    }

    /**
     * Waits until every node is registered and unfenced and every replica of every partition, internal topics
     * included, is in sync: the state in which one node may be lost without a partition falling below its minimum
     * in-sync replicas or the controller quorum below a majority.
     *
     * @throws IllegalStateException when that is not so within {@code timeout}, naming a partition behind
     */
    public void awaitFullyReplicated(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String behind = "no answer from the cluster";
        try (Admin admin = admin()) {
            while (System.nanoTime() - deadline < 0) {
                try {
                    behind = missingNodes(admin);
                    if (behind.isEmpty()) {
                        behind = underReplicated(admin);
                    }
                    if (behind.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    behind = "no answer from the cluster: " + e.getMessage();
                }
                Thread.sleep(200); // replicas catch up in seconds; look again within the deadline
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster's replicas", e);
        }
        throw new IllegalStateException(
                "the cluster in " + dataDir() + " is not fully replicated after " + timeout + ": " + behind);
    }

    /** The nodes the controllers do not count as running brokers (not registered, or fenced), or an empty string. */
    private String missingNodes(Admin admin) throws ExecutionException, InterruptedException, TimeoutException {
        Set<Integer> running = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                .map(Node::id)
                .collect(Collectors.toSet());
        List<Integer> missing = IntStream.range(0, size())
                .map(KafkaCluster::nodeId)
                .filter(id -> !running.contains(id))
                .boxed()
                .toList();
        return missing.isEmpty() ? "" : "node(s) " + missing + " not running as brokers";
    }

    /**
     * Every topic, internal ones included, with the fewest replicas any of its partitions has: what a check that
     * nothing is kept on fewer brokers than intended needs.
     */
    public Map<String, Integer> replicationFactors() {
        try (Admin admin = admin()) {
            Map<String, Integer> factors = new TreeMap<>();
            for (TopicDescription topic : describeAll(admin)) {
                topic.partitions().stream()
                        .mapToInt(partition -> partition.replicas().size())
                        .min()
                        .ifPresent(replicas -> factors.put(topic.name(), replicas));
            }
            return factors;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot describe the topics of the cluster in " + dataDir() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing the cluster's topics", e);
        }
    }

    private static Collection<TopicDescription> describeAll(Admin admin)
            throws ExecutionException, InterruptedException, TimeoutException {
        Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true))
                .names()
                .get(10, TimeUnit.SECONDS);
        return admin.describeTopics(topics)
                .allTopicNames()
                .get(10, TimeUnit.SECONDS)
                .values();
    }

    /** The first partition with a replica out of sync (or an empty string), and how many such partitions there are. */
    private static String underReplicated(Admin admin)
            throws ExecutionException, InterruptedException, TimeoutException {
        List<String> behind = new ArrayList<>();
        for (TopicDescription topic : describeAll(admin)) {
            for (TopicPartitionInfo partition : topic.partitions()) {
                if (partition.leader() == null
                        || partition.isr().size() < partition.replicas().size()) {
                    behind.add(topic.name() + "-" + partition.partition() + " (replicas " + ids(partition.replicas())
                            + ", in sync " + ids(partition.isr()) + ")");
                }
            }
        }
        return behind.isEmpty() ? "" : behind.size() + " partition(s) behind, e.g. " + behind.getFirst();
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    private Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "agentlog-cluster-probe");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        return Admin.create(props);
    }

    /**
     * Stops every node at once (SIGTERM, SIGKILL after {@link KafkaBroker#STOP_GRACE}): one by one, the last nodes
     * would wait for a controller quorum that is already gone. Deletes the cluster's directory if the options say so.
     */
    @Override
    public void close() {
        List<KafkaBroker> running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = List.copyOf(nodes);
        }
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down; the hook runs or ran anyway
            }
        }
        List<Thread> stopping = running.stream()
                .map(node -> Thread.ofPlatform()
                        .name("kafka-node-stop-" + node.pid())
                        .start(node::close))
                .toList();
        for (Thread thread : stopping) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.forEach(KafkaBroker::kill);
                break;
            }
        }
        if (template.deleteOnClose()) {
            KafkaBroker.deleteRecursively(dataDir());
        }
    }

    private static boolean holdsNodes(Path root) {
        if (!Files.isDirectory(root)) {
            return false;
        }
        try (Stream<Path> children = Files.list(root)) {
            return children.anyMatch(child -> child.getFileName().toString().startsWith("node-"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the cluster directory " + root + ": " + e.getMessage(), e);
        }
    }
}
