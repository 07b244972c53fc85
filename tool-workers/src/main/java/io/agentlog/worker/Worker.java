package io.agentlog.worker;

import io.agentlog.schemas.Topics;
import io.agentlog.telemetry.Tracing;
import io.agentlog.worker.internal.AdminLeaderEpochs;
import io.agentlog.worker.internal.CancellationWatcher;
import io.agentlog.worker.internal.Cancellations;
import io.agentlog.worker.internal.KafkaResultLookup;
import io.agentlog.worker.internal.Lane;
import io.agentlog.worker.internal.MetricsServer;
import io.agentlog.worker.internal.RetryPolicy;
import io.agentlog.worker.internal.ShareGroupLag;
import io.agentlog.worker.internal.ShareGroupSetup;
import io.agentlog.worker.internal.WorkExecutor;
import io.agentlog.worker.internal.WorkSpans;
import io.agentlog.worker.internal.WorkerMetrics;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.tool.ToolRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker process's runtime: for each configured pool {@link WorkerConfig#consumers(String)} share consumers
 * ("lanes", see {@link Lane}) in the pool's share group ({@code agentlog-<pool>}) reading {@code agentlog.work.<pool>},
 * work items on virtual threads, one idempotent producer for results ({@code agentlog.work.results}) and undecodable
 * records ({@code agentlog.dlq}), readers of {@code agentlog.work.results} for claims and lookups
 * ({@link KafkaResultLookup}), a reader of {@code agentlog.cancels} that stops work nobody waits for any more
 * ({@link CancellationWatcher}) and an admin client that asks for partitions' leader epochs ({@link AdminLeaderEpochs}).
 *
 * <p>Start it with {@link #start(WorkerConfig)}; {@link #close()} stops taking work, lets running items finish for
 * {@link WorkerConfig#shutdownGrace()} and acknowledges them, then closes the clients. Items it did not finish are
 * delivered again by the share group, to this or another worker.
 */
public final class Worker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final Duration CLOSE_MARGIN = Duration.ofSeconds(15);
    /**
     * How long a model call that may be redelivered may spend looking for an earlier delivery's result before it
     * calls, and an at-most-once tool call on claiming before it gives up (unrun, OUTCOME_UNKNOWN).
     */
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(30);
    /** How long a first delivery of a model call may wait for its partition's leader epoch before it looks anyway. */
    private static final Duration EPOCH_TIMEOUT = Duration.ofSeconds(10);
    /** How long an idle lane's share fetch waits at the broker for work. */
    static final int IDLE_FETCH_WAIT_MS = 5000;
    /** How long a starting worker waits to know the last minutes' cancels before it takes work. */
    private static final Duration CANCELS_CATCH_UP = Duration.ofSeconds(10);

    private final WorkerConfig config;
    private final ToolRegistry tools;
    private final Producer<byte[], byte[]> producer;
    private final KafkaResultLookup lookup;
    private final Admin admin;
    private final CancellationWatcher watcher;
    private final WorkerMetrics metrics;
    private final Optional<MetricsServer> metricsServer;
    private final Tracing tracing;
    private final List<Lane> lanes;
    private final CountDownLatch anyStopped;
    private volatile boolean closing;

    private Worker(
            WorkerConfig config,
            ToolRegistry tools,
            Producer<byte[], byte[]> producer,
            KafkaResultLookup lookup,
            Admin admin,
            CancellationWatcher watcher,
            WorkerMetrics metrics,
            Optional<MetricsServer> metricsServer,
            Tracing tracing,
            List<Lane> lanes,
            CountDownLatch anyStopped) {
        this.config = config;
        this.tools = tools;
        this.producer = producer;
        this.lookup = lookup;
        this.admin = admin;
        this.watcher = watcher;
        this.metrics = metrics;
        this.metricsServer = metricsServer;
        this.tracing = tracing;
        this.lanes = lanes;
        this.anyStopped = anyStopped;
    }

    /**
     * Starts a worker with the built-in tools ({@code http_fetch}, {@code noop}; {@code bash}, {@code run_python},
     * {@code run_javascript} for the {@code sandbox} pool) and model providers.
     */
    public static Worker start(WorkerConfig config) {
        return start(config, ToolRegistry.builtins(config), ModelProviders.defaults(config));
    }

    /**
     * Starts a worker with these tools and model providers, e.g. built-ins plus a team's own tools. The worker owns
     * the registry: {@link #close()} closes it.
     */
    public static Worker start(WorkerConfig config, ToolRegistry tools, ModelProviders models) {
        log.info("Starting worker: {}", config);
        Admin admin = Admin.create(config.clientProperties());
        try {
            ShareGroupSetup.configure(
                    admin, config.pools().stream().map(Topics::shareGroup).toList(), config.maxDeliveries());
            Set<String> missing = ShareGroupSetup.missingTopics(
                    admin, config.pools().stream().map(Topics::workTopicName).toList());
            if (!missing.isEmpty()) {
                log.warn(
                        "Work topics {} do not exist yet; create them (agentlog topics create) or no work arrives",
                        missing);
            }
        } catch (RuntimeException e) {
            admin.close(Duration.ofSeconds(5));
            throw e;
        }
        Producer<byte[], byte[]> producer =
                new KafkaProducer<>(producerProperties(config), new ByteArraySerializer(), new ByteArraySerializer());
        KafkaResultLookup lookup = new KafkaResultLookup(
                config.clientProperties(), config.workerId() + "-result-lookup", producer, LOOKUP_TIMEOUT);
        WorkExecutor executor = new WorkExecutor(
                config.workerId(),
                models,
                tools,
                RetryPolicy.of(config),
                lookup,
                new AdminLeaderEpochs(admin, EPOCH_TIMEOUT),
                Clock.systemUTC(),
                Thread::sleep);
        Cancellations cancellations = new Cancellations();
        CancellationWatcher watcher = new CancellationWatcher(
                        config.clientProperties(), config.workerId() + "-cancels", cancellations)
                .start();
        try {
            if (!watcher.awaitCaughtUp(CANCELS_CATCH_UP)) {
                log.warn("Recent cancels not read within {}; starting anyway", CANCELS_CATCH_UP);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Lane> lanes = new ArrayList<>();
        CountDownLatch anyStopped = new CountDownLatch(1);
        WorkerMetrics metrics = new WorkerMetrics();
        Optional<MetricsServer> metricsServer = Optional.empty();
        Tracing tracing = Tracing.OFF;
        try {
            tracing = Tracing.start(config.tracing());
            WorkSpans spans = new WorkSpans(tracing);
            metrics.watch(producer);
            if (config.metrics().enabled()) {
                metricsServer = Optional.of(MetricsServer.start(config.metrics(), metrics.registry()));
                log.info(
                        "Worker metrics on http://{}:{}/metrics",
                        config.metrics().host(),
                        metricsServer.get().port());
            }
            for (String pool : config.pools()) {
                List<Lane> poolLanes = new ArrayList<>();
                for (int i = 0; i < config.consumers(pool); i++) {
                    var consumer = new KafkaShareConsumer<>(
                            consumerProperties(config, pool, i),
                            new ByteArrayDeserializer(),
                            new ByteArrayDeserializer());
                    Lane lane = new Lane(
                            pool, i, config.workerId(), consumer, producer, executor, cancellations, metrics, spans);
                    lanes.add(lane);
                    poolLanes.add(lane);
                    Thread.ofPlatform().name("agentlog-worker-" + lane.name()).start(() -> {
                        try {
                            lane.run();
                        } finally {
                            anyStopped.countDown();
                        }
                    });
                }
                log.info(
                        "Worker {} serves pool {} with {} share consumers in group {}, {} items each at once",
                        config.workerId(),
                        pool,
                        config.consumers(pool),
                        Topics.shareGroup(pool),
                        config.batchSize(pool));
                metrics.watch(pool, List.copyOf(poolLanes), ShareGroupLag.of(admin, Topics.shareGroup(pool)));
            }
        } catch (RuntimeException e) {
            lanes.forEach(l -> l.stop(Duration.ZERO));
            metricsServer.ifPresent(MetricsServer::close);
            metrics.close();
            tracing.close();
            watcher.close();
            lookup.close();
            admin.close(Duration.ofSeconds(5));
            producer.close(Duration.ofSeconds(5));
            throw e;
        }
        return new Worker(
                config,
                tools,
                producer,
                lookup,
                admin,
                watcher,
                metrics,
                metricsServer,
                tracing,
                List.copyOf(lanes),
                anyStopped);
    }

    static Properties consumerProperties(WorkerConfig config, String pool, int index) {
        Properties props = new Properties();
        props.putAll(config.clientProperties());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, Topics.shareGroup(pool));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, config.workerId() + "-" + pool + "-" + index);
        // every record is acknowledged on its own, after its result is durable (ACCEPT/RELEASE/REJECT/RENEW)
        props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // acquire at most one batch and never prefetch: a record acquired but not yet returned to us would wait,
        // locked, until our batch is done, while other workers of the group could run it
        props.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.batchSize(pool));
        // an idle lane's share fetch waits this long at the broker for work (it returns as soon as work arrives, so
        // this costs no latency): with the default 500 ms the idle consumers of a worker sent ~100 fetches a second,
        // with 5 s about 10
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, IDLE_FETCH_WAIT_MS);
        return props;
    }

    static Properties producerProperties(WorkerConfig config) {
        Properties props = new Properties();
        props.putAll(config.clientProperties());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, config.workerId() + "-results");
        // a result must not be lost or duplicated by producer retries: the item is acknowledged once it is durable
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // results are latency-sensitive (the session waits on each) and small: send at once
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // a sandbox result carries the files it changed: up to the work topics' record limit
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_WORK_RECORD_BYTES);
        return props;
    }

    public WorkerConfig config() {
        return config;
    }

    /** The port the worker serves its metrics on, if it does ({@link WorkerConfig#metrics()}). */
    public OptionalInt metricsPort() {
        return metricsServer.map(server -> OptionalInt.of(server.port())).orElse(OptionalInt.empty());
    }

    /** True while every share consumer's loop runs. */
    public boolean isRunning() {
        return lanes.stream().allMatch(Lane::isRunning);
    }

    /** Results and DLQ entries this worker produced. */
    public long answered() {
        return lanes.stream().mapToLong(Lane::answered).sum();
    }

    /** Deliveries whose lock was lost while still running here (see {@link Lane#lostLocks()}); should be 0. */
    public long lostLocks() {
        return lanes.stream().mapToLong(Lane::lostLocks).sum();
    }

    /** Redelivered items acknowledged without running again: an earlier delivery's result was already committed. */
    public long alreadyAnswered() {
        return lanes.stream().mapToLong(Lane::alreadyAnswered).sum();
    }

    /**
     * First deliveries of at-most-once tools not run because another delivery had claimed the call first: items
     * redelivered as delivery 1 after their share-partition leader died.
     */
    public long claimedEarlier() {
        return lanes.stream().mapToLong(Lane::claimedEarlier).sum();
    }

    /** {@code DELAYED} results published: model calls waiting to try again, or redelivered. */
    public long delayedReported() {
        return lanes.stream().mapToLong(Lane::delayedReported).sum();
    }

    /**
     * Serves until the JVM is asked to stop (SIGTERM/SIGINT: a clean close that finishes running items), or until a
     * pool stops on its own, which closes the worker. Returns the process exit code: 0 after a requested stop, 1
     * after a pool failure, so a supervisor restarts the process.
     */
    public int serveUntilShutdown() throws InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(
                () -> {
                    close();
                    closed.countDown();
                },
                "agentlog-worker-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        while (!awaitStopped(Duration.ofMinutes(1))) {
            log.debug("Worker {} has answered {} work items", config.workerId(), answered());
        }
        if (!isClosing()) {
            log.error("A pool of worker {} stopped on its own; exiting so it is restarted", config.workerId());
            close();
            return 1;
        }
        closed.await();
        return 0;
    }

    /** Waits until a consumer's loop ends (by {@link #close()} or on a fatal error); true if one did in time. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return anyStopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** True once {@link #close()} has been called. */
    public boolean isClosing() {
        return closing;
    }

    @Override
    public synchronized void close() {
        if (closing) {
            return;
        }
        closing = true;
        log.info("Stopping worker {}: running items get {} to finish", config.workerId(), config.shutdownGrace());
        lanes.forEach(lane -> lane.stop(config.shutdownGrace()));
        Duration wait = config.shutdownGrace().plus(CLOSE_MARGIN);
        for (Lane lane : lanes) {
            try {
                if (!lane.awaitStopped(wait)) {
                    log.warn("Lane {} did not stop within {}", lane.name(), wait);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        watcher.close();
        lookup.close();
        admin.close(Duration.ofSeconds(5));
        producer.close(Duration.ofSeconds(10));
        tools.close();
        metricsServer.ifPresent(MetricsServer::close);
        metrics.close();
        tracing.close(); // exports the last items' spans
        log.info("Worker {} stopped", config.workerId());
    }
}
