package io.agentlog.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka node (combined KRaft broker and controller on 127.0.0.1) running {@code kafka.Kafka} in a child JVM.
 * Started with {@link #start} it is a single-node cluster with the configs that needs (replication factor 1
 * everywhere, transactions and share groups included); the same launcher serves the local stack and the tests. A
 * {@link KafkaCluster} runs several of them as one cluster.
 *
 * <p>Layout of the data directory: {@code server.properties}, {@code broker.log} (the child's output, kept small by
 * a generated quiet logging config), {@code format.log}, {@code kraft-logs/} (the broker's log directory). A data
 * directory that was formatted before is reused as it is, so a stopped broker restarts with its topics.
 */
public final class KafkaBroker implements AutoCloseable {

    /** How long a streams or share group member may be silent before the broker drops it. */
    public static final int GROUP_SESSION_TIMEOUT_MS = 6000;

    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

    public static final String HOST = "127.0.0.1";
    public static final String LOG_FILE = "broker.log";
    public static final Duration STOP_GRACE = Duration.ofSeconds(15);

    private static final String LOGBACK_CONFIG = """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="kafka.server.KafkaRaftServer" level="INFO"/>
              <logger name="org.apache.kafka.server.BrokerLifecycleManager" level="INFO"/>
              <logger name="org.apache.kafka.common.utils.AppInfoParser" level="WARN"/>
              <!-- denied requests, on a broker with an authorizer: what an ACL is missing -->
              <logger name="kafka.authorizer.logger" level="INFO"/>
              <root level="WARN"><appender-ref ref="OUT"/></root>
            </configuration>
            """;

    private static final String LOG4J2_CONFIG = """
            <Configuration status="WARN">
              <Appenders>
                <Console name="OUT" target="SYSTEM_OUT">
                  <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level [%t] %c{1.} - %m%n"/>
                </Console>
              </Appenders>
              <Loggers>
                <Logger name="kafka.server.KafkaRaftServer" level="INFO"/>
                <Logger name="org.apache.kafka.server.BrokerLifecycleManager" level="INFO"/>
                <!-- denied requests, on a broker with an authorizer: what an ACL is missing -->
                <Logger name="kafka.authorizer.logger" level="INFO"/>
                <Root level="WARN"><AppenderRef ref="OUT"/></Root>
              </Loggers>
            </Configuration>
            """;

    private final BrokerOptions options;
    private final Process process;
    private final int port;
    private final int controllerPort;
    private final int jmxPort;
    private final Thread shutdownHook;
    private final long launchedAt;
    private volatile boolean closed;

    private KafkaBroker(
            BrokerOptions options, Process process, int port, int controllerPort, int jmxPort, long launchedAt) {
        this.options = options;
        this.process = process;
        this.port = port;
        this.controllerPort = controllerPort;
        this.jmxPort = jmxPort;
        this.launchedAt = launchedAt;
        this.shutdownHook = options.detached() || !options.closeOnJvmExit()
                ? null
                : new Thread(this::close, "kafka-broker-stop-" + process.pid());
    }

    /**
     * Formats the data directory when needed, starts the broker and waits until it answers.
     *
     * @throws BrokerStartException when the broker dies or does not answer within the options' start timeout; the
     *                              message carries the tail of its log
     */
    public static KafkaBroker start(BrokerOptions options) {
        KafkaBroker broker = launch(options, StorageFormat.standalone());
        broker.awaitReadyOrClose();
        return broker;
    }

    /**
     * Writes the node's configuration, formats its storage unless it was formatted before, and starts it without
     * waiting for it to answer (a node of a cluster cannot answer before a majority of the controllers runs).
     */
    static KafkaBroker launch(BrokerOptions options, StorageFormat format) {
        long launchedAt = System.nanoTime();
        Path dataDir = options.dataDir().toAbsolutePath();
        int port = options.port() == 0 ? freePort() : options.port();
        int controllerPort = options.controllerPort() == 0 ? freePort(port) : options.controllerPort();
        int jmxPort = options.jmxPort() == 0 ? freePort(port, controllerPort) : options.jmxPort();
        try {
            Files.createDirectories(dataDir);
            Files.writeString(dataDir.resolve("logback.xml"), LOGBACK_CONFIG);
            Files.writeString(dataDir.resolve("log4j2.xml"), LOG4J2_CONFIG);
            Path serverProperties = dataDir.resolve("server.properties");
            writeProperties(serverProperties, serverConfig(dataDir, port, controllerPort, options.overrides()));
            formatIfNeeded(dataDir, serverProperties, format, options.formatArgs());

            Process process = ChildJvm.builder("kafka.Kafka")
                    .args(serverProperties.toString())
                    .jvmArgs(brokerJvmArgs(dataDir, options.heap(), jmxPort))
                    .logFile(dataDir.resolve(LOG_FILE))
                    .detached(options.detached())
                    .build()
                    .start();
            KafkaBroker broker = new KafkaBroker(options, process, port, controllerPort, jmxPort, launchedAt);
            if (broker.shutdownHook != null) {
                Runtime.getRuntime().addShutdownHook(broker.shutdownHook);
            }
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot prepare the broker's data directory " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the node answers within the options' start timeout.
     *
     * @throws BrokerStartException after closing the node, when it dies or does not answer in time
     */
    void awaitReadyOrClose() {
        try {
            awaitReady(Duration.ofMillis(options.startTimeoutMs()));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        log.info(
                "Kafka broker pid {} answers on {} after {} ms (data in {})",
                process.pid(),
                bootstrapServers(),
                (System.nanoTime() - launchedAt) / 1_000_000,
                dataDir());
    }

    /** {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public int controllerPort() {
        return controllerPort;
    }

    public long pid() {
        return process.pid();
    }

    /** The port of the broker's loopback JMX connector, when its options asked for one. */
    public java.util.OptionalInt jmxPort() {
        return jmxPort == BrokerOptions.NO_JMX ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(jmxPort);
    }

    public Path dataDir() {
        return options.dataDir().toAbsolutePath();
    }

    public Path logFile() {
        return dataDir().resolve(LOG_FILE);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * SIGKILL, as in a crash: no clean shutdown, and the data directory stays whatever the options say, so the node
     * can be started again from it. Returns the pid killed; {@link #close()} does nothing afterwards.
     */
    public synchronized long kill() {
        closed = true;
        removeShutdownHook();
        long pid = ChildJvm.kill(process);
        log.info("Kafka broker pid {} on {} killed with SIGKILL", pid, bootstrapServers());
        return pid;
    }

    /** Stops the broker (SIGTERM, SIGKILL after {@link #STOP_GRACE}) and deletes its data if the options say so. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        removeShutdownHook();
        boolean graceful = ChildJvm.stop(process, STOP_GRACE);
        if (!graceful) {
            log.warn(
                    "Kafka broker pid {} did not stop within {} s of SIGTERM and was killed",
                    pid(),
                    STOP_GRACE.toSeconds());
        }
        if (options.deleteOnClose()) {
            deleteRecursively(dataDir());
        }
    }

    private void removeShutdownHook() {
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down; the hook runs or ran anyway
            }
        }
    }

    /** The last {@code lines} lines of the broker's log, for error messages. */
    public String logTail(int lines) {
        return tail(logFile(), lines);
    }

    static Map<String, String> serverConfig(Path dataDir, int port, int controllerPort, Map<String, String> overrides) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("controller.quorum.bootstrap.servers", HOST + ":" + controllerPort);
        config.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        config.put("log.dirs", dataDir.resolve("kraft-logs").toString());
        config.put("num.partitions", "1");
        config.put("default.replication.factor", "1");
        config.put("auto.create.topics.enable", "false");
        config.put("offsets.topic.replication.factor", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("group.streams.initial.rebalance.delay.ms", "0"); // the same for streams groups (KIP-1071)
        // Members of the new group protocols learn of their assignment on their next heartbeat, 5 s by default: a new
        // streams group waits one interval for its internal topics, a new share consumer one to get partitions. A
        // 1 s interval makes a fresh engine or worker ready seconds sooner, at the cost of a few small requests.
        for (String group : List.of("consumer", "share", "streams")) {
            config.put("group." + group + ".min.heartbeat.interval.ms", "1000");
            config.put("group." + group + ".heartbeat.interval.ms", "1000");
        }
        // Except share consumers: a worker runs 16 per pool (48 for `agentlog up`), whose heartbeats were most of an
        // idle stack's broker requests; every 2 s halves them, and a new worker still gets partitions within 2 s.
        config.put("group.share.heartbeat.interval.ms", "2000");
        // Fast failure detection, for bounded recovery after a kill -9 (names from Kafka 4.4.0's GroupCoordinatorConfig
        // and TransactionStateManagerConfig): dead streams and share group members leave after 6 s instead of 45 s,
        // and the transaction coordinator looks for timed-out transactions every second instead of every 10 s, so a
        // killed engine's open transaction (which blocks read_committed readers of its partitions) is aborted soon
        // after its timeout. Measured with `agentlog chaos`: engine-kill recovery max from ~25 s to ~7 s.
        config.put("group.streams.min.session.timeout.ms", "3000");
        config.put("group.streams.session.timeout.ms", String.valueOf(GROUP_SESSION_TIMEOUT_MS));
        config.put("group.share.min.session.timeout.ms", "3000");
        config.put("group.share.session.timeout.ms", String.valueOf(GROUP_SESSION_TIMEOUT_MS));
        config.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        config.put("metadata.max.idle.interval.ms", "5000");
        // Internal topics default to 50 partitions each; on one small node fewer make the first group, the first
        // transaction and the first share group start faster, with no change in behaviour.
        config.put("offsets.topic.num.partitions", "6");
        config.put("transaction.state.log.num.partitions", "6");
        config.put("share.coordinator.state.topic.num.partitions", "6");
        config.putAll(overrides);
        return config;
    }

    private static List<String> brokerJvmArgs(Path dataDir, String heap, int jmxPort) {
        List<String> args = new ArrayList<>(
                List.of("-Xmx" + heap, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true"));
        if (jmxPort != BrokerOptions.NO_JMX) {
            args.addAll(Jmx.loopbackJvmArgs(jmxPort));
        }
        if (Runtime.version().feature() >= 24) {
            // Kafka unmaps buffers through sun.misc.Unsafe, which JDK 24+ warns about on every start
            args.add("--sun-misc-unsafe-memory-access=allow");
        }
        args.addAll(loggingJvmArgs(dataDir));
        return args;
    }

    private static List<String> loggingJvmArgs(Path dataDir) {
        return List.of(
                "-Dlogback.configurationFile=" + dataDir.resolve("logback.xml"),
                "-Dlog4j2.configurationFile=" + dataDir.resolve("log4j2.xml"),
                "-Dlog4j2.statusLoggerLevel=WARN");
    }

    private static void formatIfNeeded(
            Path dataDir, Path serverProperties, StorageFormat storage, List<String> moreArgs) throws IOException {
        if (Files.exists(dataDir.resolve("kraft-logs").resolve("meta.properties"))) {
            return;
        }
        Path formatLog = dataDir.resolve("format.log");
        List<String> jvmArgs = new ArrayList<>(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        jvmArgs.addAll(loggingJvmArgs(dataDir));
        Process format = ChildJvm.builder("kafka.tools.StorageTool")
                .args("format", "--config", serverProperties.toString(), "--cluster-id", storage.clusterId())
                .args(storage.quorumArgs())
                .args(moreArgs)
                .args("--ignore-formatted")
                .jvmArgs(jvmArgs)
                .logFile(formatLog)
                .build()
                .start();
        try {
            if (!format.waitFor(60, TimeUnit.SECONDS)) {
                format.destroyForcibly();
                throw new BrokerStartException("formatting the broker's storage in " + dataDir
                        + " did not finish in 60 s; its output:\n" + tail(formatLog, 40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            format.destroyForcibly();
            throw new BrokerStartException("interrupted while formatting the broker's storage in " + dataDir, e);
        }
        if (format.exitValue() != 0) {
            throw new BrokerStartException("formatting the broker's storage in " + dataDir + " failed with exit code "
                    + format.exitValue() + "; its output:\n" + tail(formatLog, 40));
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        awaitListening(deadline, timeout);
        Properties props = new Properties();
        props.putAll(options.clientConfigs());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "agentlog-broker-probe");
        try (Admin admin = Admin.create(props)) {
            while (true) {
                checkStillStarting(deadline, timeout);
                long left = deadline - System.nanoTime();
                int attemptMs = (int) Math.max(100, Math.min(1000, left / 1_000_000));
                try {
                    admin.describeCluster(new DescribeClusterOptions().timeoutMs(attemptMs))
                            .nodes()
                            .get(attemptMs + 500L, TimeUnit.MILLISECONDS);
                    return;
                } catch (ExecutionException | TimeoutException e) {
                    // not up yet: the next attempt checks the process and the deadline first
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BrokerStartException("interrupted while waiting for the Kafka broker to start", e);
                }
            }
        }
    }

    /**
     * Waits until the client port accepts connections, before any Kafka client tries it: a client that meets a
     * closed port logs a warning per attempt, which would drown the output of the local stack.
     */
    private void awaitListening(long deadline, Duration timeout) {
        InetSocketAddress address = new InetSocketAddress(HOST, port);
        while (true) {
            checkStillStarting(deadline, timeout);
            try (Socket socket = new Socket()) {
                socket.connect(address, 200);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(50); // the port opens within seconds; poll it with the deadline above
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new BrokerStartException("interrupted while waiting for the Kafka broker to start", e);
                }
            }
        }
    }

    private void checkStillStarting(long deadline, Duration timeout) {
        if (!process.isAlive()) {
            throw new BrokerStartException("the Kafka broker (data in " + dataDir() + ") exited with code "
                    + process.exitValue() + " while starting; the end of " + logFile() + ":\n" + logTail(60));
        }
        if (System.nanoTime() - deadline > 0) {
            throw new BrokerStartException("the Kafka broker (pid " + pid() + ", data in " + dataDir()
                    + ") did not answer on " + bootstrapServers() + " within " + timeout.toSeconds()
                    + " s; the end of " + logFile() + ":\n" + logTail(60));
        }
    }

    private static void writeProperties(Path file, Map<String, String> config) throws IOException {
        StringBuilder text = new StringBuilder("# generated by io.agentlog.testkit.KafkaBroker\n");
        config.forEach(
                (key, value) -> text.append(key).append('=').append(value).append('\n'));
        Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
    }

    static int freePort(int... taken) {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                int port = socket.getLocalPort();
                if (java.util.Arrays.stream(taken).noneMatch(t -> t == port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port on " + HOST + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalStateException("cannot find a free port on " + HOST + " after 20 attempts");
    }

    static String tail(Path file, int lines) {
        if (!Files.exists(file)) {
            return "(no " + file + ")";
        }
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    log.debug("cannot delete {}: {}", path, e.getMessage());
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete the broker's data directory {}: {}", dir, e.getMessage());
        }
    }
}
