package io.agentlog.local.chaos;

import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.TaskSubmitted;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos test: starts a {@link ChaosStack} (a broker or a 3-broker cluster, 2 engines, 3 workers, each its own
 * process), registers the {@link ChaosAgent}, runs one warm-up session, then submits the sessions evenly over the
 * window (every n-th twice, with the same session id) while SIGKILLing a random live engine, worker or broker at random
 * times within the window and starting it again 1-3 s later. It then waits for every session's result (or the timeout)
 * and hands everything to {@link ChaosVerifier}.
 *
 * <p>Brokers are killed one at a time: before a broker is killed, any other broker that is down is started and every
 * replica is awaited in sync, so each partition keeps its minimum in-sync replicas and the quorum its majority. Kills
 * run one after another on their own thread, restarts on others, so neither delays the submissions.
 */
public final class ChaosRun {

    private static final Logger log = LoggerFactory.getLogger(ChaosRun.class);

    static final int ENGINES = 2;
    static final int WORKERS = 3;
    private static final Duration WARM_UP_TIMEOUT = Duration.ofMinutes(3);
    private static final long MIN_RESTART_DELAY_MS = 1000;
    private static final long MAX_RESTART_DELAY_MS = 3000;
    /** How long a broker kill waits for the cluster to be fully replicated before it picks another target. */
    private static final Duration REPLICATION_WAIT = Duration.ofMinutes(2);

    private ChaosRun() {}

    /** Runs the whole test; {@code progress} gets a line per step (for a human on stderr). */
    public static ChaosReport run(ChaosOptions options, Consumer<String> progress) throws InterruptedException {
        try (ChaosStack stack = ChaosStack.start(options.dir(), options.brokers(), ENGINES, WORKERS)) {
            progress.accept("Stack up in " + options.dir() + ": " + (options.brokers() == 1 ? "broker " : "brokers ")
                    + stack.bootstrapServers() + " (replication factor " + stack.replicationFactor() + "), " + ENGINES
                    + " engines, " + WORKERS + " workers");
            String bootstrap = stack.bootstrapServers();
            String warmUp = "chaos-warmup-" + options.seed();
            try (AgentlogClient client = new AgentlogClient(bootstrap)) {
                client.putAgent(ChaosAgent.definition());
                SessionResult result = client.submitAndWait(
                        AgentlogClient.task(ChaosAgent.NAME, warmUp)
                                .setSessionId(warmUp)
                                .build(),
                        WARM_UP_TIMEOUT);
                progress.accept("Warm-up session " + warmUp + " ended " + result.getStatus());
            }
            stack.checkReplication();
            Random random = new Random(options.seed());
            List<Long> killOffsets = killOffsets(options, random);
            Set<String> submitted = Collections.synchronizedSet(new LinkedHashSet<>());
            List<KillRecord> kills = Collections.synchronizedList(new ArrayList<>());
            long start = System.currentTimeMillis();
            ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
            ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();
            ScheduledExecutorService restarter = Executors.newScheduledThreadPool(2);
            try (KafkaProducer<String, TaskSubmitted> producer = producer(bootstrap)) {
                long windowMs = options.window().toMillis();
                for (int i = 0; i < options.sessions(); i++) {
                    long at = windowMs * i / options.sessions();
                    String sessionId = "chaos-" + options.seed() + "-" + i;
                    boolean twice = options.resubmitEvery() > 0 && i % options.resubmitEvery() == 0;
                    scheduler.schedule(() -> submit(producer, sessionId, submitted), at, TimeUnit.MILLISECONDS);
                    if (twice) {
                        scheduler.schedule(
                                () -> submit(producer, sessionId, submitted), at + 700, TimeUnit.MILLISECONDS);
                    }
                }
                for (long offset : killOffsets) {
                    killer.schedule(
                            () -> kill(stack, random, kills, restarter, progress), offset, TimeUnit.MILLISECONDS);
                }
                scheduler
                        .schedule(() -> {}, windowMs + 1000, TimeUnit.MILLISECONDS)
                        .get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("the chaos schedule failed: " + e.getCause(), e.getCause());
            } finally {
                scheduler.shutdown();
                scheduler.awaitTermination(MAX_RESTART_DELAY_MS + 60_000, TimeUnit.MILLISECONDS);
                // kills are due within the window; one may still wait for the cluster's replicas, then restart
                killer.shutdown();
                killer.awaitTermination(REPLICATION_WAIT.toMillis() + 60_000, TimeUnit.MILLISECONDS);
                restarter.shutdown();
                restarter.awaitTermination(MAX_RESTART_DELAY_MS + 120_000, TimeUnit.MILLISECONDS);
            }
            progress.accept("Submitted " + submitted.size() + " sessions, " + kills.size() + " kills; waiting for "
                    + "results");
            Set<String> ids = Set.copyOf(submitted);
            int missing = awaitResults(bootstrap, ids, options.timeout());
            progress.accept(
                    missing == 0
                            ? "Every session has a result; verifying"
                            : missing + " session(s) have no result after " + options.timeout() + "; verifying");
            long durationMs = System.currentTimeMillis() - start;
            return ChaosVerifier.verify(
                    bootstrap,
                    options,
                    ids,
                    Set.of(warmUp),
                    List.copyOf(kills),
                    stack.toolLedger(),
                    stack.modelLedger(),
                    durationMs);
        }
    }

    /** Kill times within the window, sorted, away from its very start and end. */
    private static List<Long> killOffsets(ChaosOptions options, Random random) {
        long windowMs = options.window().toMillis();
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < options.kills(); i++) {
            offsets.add((long) (windowMs * (0.1 + 0.8 * random.nextDouble())));
        }
        Collections.sort(offsets);
        return offsets;
    }

    /** Kills a random live process; runs on the one kill thread, so kills never overlap. */
    private static void kill(
            ChaosStack stack,
            Random random,
            List<KillRecord> kills,
            ScheduledExecutorService restarter,
            Consumer<String> progress) {
        List<ChaosStack.Slot> alive =
                stack.slots().stream().filter(ChaosStack.Slot::alive).toList();
        if (alive.isEmpty()) {
            return;
        }
        ChaosStack.Slot target = alive.get(random.nextInt(alive.size()));
        long delay = MIN_RESTART_DELAY_MS + random.nextLong(MAX_RESTART_DELAY_MS - MIN_RESTART_DELAY_MS + 1);
        if (target.kind == ChaosStack.Kind.BROKER) {
            try {
                stack.readyToLoseABroker(REPLICATION_WAIT);
            } catch (RuntimeException e) {
                log.error("Not killing {}: the cluster could not lose a broker", target.name, e);
                progress.accept("skipped the kill of " + target.name + ": " + e.getMessage());
                return;
            }
        }
        long at = System.currentTimeMillis();
        long pid = target.kill();
        kills.add(KillRecord.of(target.name, target.kind, pid, at));
        progress.accept("SIGKILL " + target.name + " (pid " + pid + "); restart in " + delay + " ms");
        restarter.schedule(
                () -> {
                    try {
                        target.start();
                    } catch (RuntimeException e) {
                        log.error("Could not restart {}; the run goes on without it", target.name, e);
                        progress.accept("could not restart " + target.name + ": " + e.getMessage());
                    }
                },
                delay,
                TimeUnit.MILLISECONDS);
    }

    private static void submit(KafkaProducer<String, TaskSubmitted> producer, String sessionId, Set<String> submitted) {
        TaskSubmitted task = AgentlogClient.task(ChaosAgent.NAME, sessionId)
                .setSessionId(sessionId)
                .setIdempotencyKey(sessionId)
                .build();
        try {
            producer.send(new ProducerRecord<>(Topics.TASKS.name(), sessionId, task))
                    .get(30, TimeUnit.SECONDS);
            submitted.add(sessionId);
        } catch (Exception e) {
            log.error("Could not submit session {}", sessionId, e);
        }
    }

    private static KafkaProducer<String, TaskSubmitted> producer(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(
                props, new StringSerializer(), Topics.TASKS.valueSerde().serializer());
    }

    /** Waits until every session has a committed result; returns how many have none at the deadline. */
    private static int awaitResults(String bootstrap, Set<String> ids, Duration timeout) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Set<String> seen = new HashSet<>();
        Instant deadline = Instant.now().plus(timeout);
        try (var consumer = new KafkaConsumer<>(
                props, new StringDeserializer(), Topics.RESULTS.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.RESULTS.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!seen.containsAll(ids) && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> seen.add(r.key()));
            }
        }
        return (int) ids.stream().filter(id -> !seen.contains(id)).count();
    }
}
