package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.SessionResult;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code agentlog bench steps}: how many agent steps per second a running stack (engine, model workers, tools
 * workers) sustains, and how long one step takes, next to the floor Kafka itself sets on this machine.
 *
 * <p>A run registers a fresh version of {@link StepsAgent} ({@code bench-steps@<highest+1>}), measures the
 * transactional round trip ({@link TransactionalRoundTrip}), runs a few warm-up sessions (the first one also
 * proves the engine has the new definition, retried while it answers "unknown agent"), then the measured sessions.
 * Everything goes through the contract's topics, so the stack may be local or remote, embedded or not.
 */
public final class StepsBenchmark {

    private static final Logger log = LoggerFactory.getLogger(StepsBenchmark.class);

    public static final String NAME = "steps";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    public static final int DEFAULT_WARMUP_SESSIONS = 5;

    /** Failures quoted in the result; the rest are only counted. */
    static final int MAX_QUOTED_FAILURES = 5;

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final String UNKNOWN_AGENT = "unknown agent";

    /**
     * @param bootstrapServers the stack's Kafka
     * @param sessions measured sessions
     * @param steps tool-calling model turns per session (each session ends with one more, text-only turn)
     * @param concurrency most sessions in flight at once
     * @param timeout the longest the warm-up, and then the measured sessions, may each take
     */
    public record Options(String bootstrapServers, int sessions, int steps, int concurrency, Duration timeout) {

        public Options {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException(
                        "bootstrap servers must be host:port[,host:port...], but was '" + bootstrapServers + "'");
            }
            if (sessions < 1) {
                throw new IllegalArgumentException("sessions must be at least 1, but was " + sessions);
            }
            StepsAgent.requireSteps(steps);
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, but was " + concurrency);
            }
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, but was " + timeout);
            }
        }

        /** All sessions in flight at once, and {@link #DEFAULT_TIMEOUT}. */
        public static Options of(String bootstrapServers, int sessions, int steps) {
            return new Options(bootstrapServers, sessions, steps, sessions, DEFAULT_TIMEOUT);
        }
    }

    private final int roundTrips;
    private final int warmupSessions;

    public StepsBenchmark() {
        this(TransactionalRoundTrip.DEFAULT_ROUND_TRIPS, DEFAULT_WARMUP_SESSIONS);
    }

    /**
     * @param roundTrips transactional round trips measured for the floor
     * @param warmupSessions sessions run before the measured ones and not counted (at least 1, which proves the
     *     engine has the definition)
     */
    public StepsBenchmark(int roundTrips, int warmupSessions) {
        if (roundTrips < 1) {
            throw new IllegalArgumentException("round trips must be at least 1, but was " + roundTrips);
        }
        if (warmupSessions < 1) {
            throw new IllegalArgumentException("warm-up sessions must be at least 1, but was " + warmupSessions);
        }
        this.roundTrips = roundTrips;
        this.warmupSessions = warmupSessions;
    }

    /**
     * Runs the benchmark against the stack at {@code options.bootstrapServers()}.
     *
     * @throws BenchException when the stack is missing or broken (no topics, no engine answering, the warm-up
     *     failing); failures of measured sessions are reported in the result instead
     */
    public BenchResult run(Options options) {
        String bootstrap = options.bootstrapServers();
        requireTopics(bootstrap);
        int version = nextVersion(bootstrap);
        AgentDefinition definition = StepsAgent.definition(version, options.steps());
        register(bootstrap, definition);
        log.info("Registered {}@{} ({} steps per session)", StepsAgent.NAME, version, options.steps());

        Percentiles roundTrip = new TransactionalRoundTrip(bootstrap).measure(roundTrips);

        String runId = UUID.randomUUID().toString().substring(0, 8);
        try (SessionLoad load = new SessionLoad(bootstrap, REQUEST_TIMEOUT)) {
            warmUp(load, options, version, runId);
            log.info(
                    "Running {} sessions of {} steps, at most {} at once",
                    options.sessions(),
                    options.steps(),
                    options.concurrency());
            SessionLoad.Outcome outcome = load.run(
                    StepsAgent.NAME,
                    version,
                    ids("bench-" + runId + "-", options.sessions()),
                    options.concurrency(),
                    options.timeout());
            BenchResult result = result(options, warmupSessions, outcome, roundTrip);
            log.info(
                    "{} steps in {} s: {} steps/s, {} completed, {} failed, {} timed out",
                    result.steps(),
                    result.wallSeconds(),
                    result.stepsPerSecond(),
                    result.completed(),
                    result.failed(),
                    result.timedOut());
            return result;
        }
    }

    /** A probe session first (retried while the engine has not yet read the new definition), then the rest. */
    private void warmUp(SessionLoad load, Options options, int version, String runId) {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        for (int attempt = 0; ; attempt++) {
            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1));
            String probe = "bench-" + runId + "-probe-" + attempt;
            SessionLoad.Outcome outcome = load.run(StepsAgent.NAME, version, List.of(probe), 1, left);
            if (outcome.completed() == 1) {
                break;
            }
            if (outcome.timedOut() == 1) {
                throw new BenchException("the warm-up session " + probe + " had no result within "
                        + options.timeout().toSeconds() + " s: is the engine running on " + options.bootstrapServers()
                        + ", with workers for the '" + Topics.MODEL_POOL + "' pool (scripted provider) and the '"
                        + Topics.TOOLS_POOL + "' pool (noop tool)? `./agentlog up` starts them all");
            }
            SessionResult failed = outcome.notCompleted().getFirst();
            boolean notYetKnown = failed.getError() != null && failed.getError().contains(UNKNOWN_AGENT);
            if (!notYetKnown || System.nanoTime() - deadline > 0) {
                throw new BenchException("the warm-up session " + probe + " ended " + failed.getStatus() + ": "
                        + failed.getError() + "; fix the stack before benchmarking it");
            }
            log.info("The engine has not read {}@{} yet; probing again", StepsAgent.NAME, version);
        }
        int rest = warmupSessions - 1;
        if (rest > 0) {
            SessionLoad.Outcome outcome = load.run(
                    StepsAgent.NAME,
                    version,
                    ids("bench-" + runId + "-warmup-", rest),
                    Math.min(rest, options.concurrency()),
                    options.timeout());
            if (outcome.completed() < rest) {
                log.warn(
                        "{} of {} warm-up sessions did not complete; the measured run may fail too: {}",
                        rest - outcome.completed(),
                        rest,
                        quoted(outcome.notCompleted()));
            }
        }
    }

    static BenchResult result(Options options, int warmupSessions, SessionLoad.Outcome outcome, Percentiles roundTrip) {
        double wallSeconds = outcome.wall().toNanos() / 1e9;
        long steps = outcome.stepLatencyMs().count();
        return new BenchResult(
                NAME,
                options.sessions(),
                options.steps(),
                options.concurrency(),
                warmupSessions,
                outcome.completed(),
                outcome.failed(),
                outcome.timedOut(),
                steps,
                wallSeconds,
                wallSeconds > 0 ? steps / wallSeconds : 0,
                BenchResult.Latency.of(outcome.stepLatencyMs()),
                BenchResult.Latency.of(outcome.modelHopMs()),
                BenchResult.Latency.of(outcome.toolHopMs()),
                BenchResult.Latency.of(outcome.sessionLatencyMs()),
                BenchResult.Latency.of(roundTrip),
                quoted(outcome.notCompleted()),
                BenchResult.Machine.current(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    private static List<String> quoted(List<SessionResult> failures) {
        return failures.stream()
                .limit(MAX_QUOTED_FAILURES)
                .map(r -> r.getSessionId() + " " + r.getStatus() + ": " + r.getError())
                .toList();
    }

    static List<String> ids(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    }

    private static void requireTopics(String bootstrap) {
        List<String> needed = List.of(
                Topics.TASKS.name(),
                Topics.EVENTS.name(),
                Topics.RESULTS.name(),
                Topics.AGENTS.name(),
                Topics.workTopicName(Topics.MODEL_POOL),
                Topics.workTopicName(Topics.TOOLS_POOL));
        Set<String> existing;
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis()))) {
            existing = admin.listTopics().names().get(REQUEST_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new BenchException(
                    "Kafka at " + bootstrap + " did not list its topics within " + REQUEST_TIMEOUT.toSeconds()
                            + " s: is it running? (`./agentlog up` starts a local stack)",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while listing the topics of " + bootstrap, e);
        }
        List<String> missing =
                needed.stream().filter(t -> !existing.contains(t)).toList();
        if (!missing.isEmpty()) {
            throw new BenchException("topics " + missing + " do not exist on " + bootstrap
                    + ": start the stack (`./agentlog up`) or create them (`agentlog topics create`)");
        }
    }

    /** One more than the highest version of {@link StepsAgent#NAME} on the agents topic, so every run is new. */
    static int nextVersion(String bootstrap) {
        int highest = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "agentlog-bench-agents",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        (int) REQUEST_TIMEOUT.toMillis()),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.AGENTS.name(), REQUEST_TIMEOUT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, REQUEST_TIMEOUT);
            long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos();
            String prefix = StepsAgent.NAME + "@";
            while (partitions.stream().anyMatch(p -> consumer.position(p, REQUEST_TIMEOUT) < end.get(p))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new BenchException("cannot read " + Topics.AGENTS.name() + " on " + bootstrap
                            + " to its end within " + REQUEST_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.key() != null && record.key().startsWith(prefix)) {
                        highest = Math.max(highest, parseVersion(record.key().substring(prefix.length())));
                    }
                }
            }
        }
        return highest + 1;
    }

    private static int parseVersion(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return 0; // not a key this benchmark wrote
        }
    }

    private static void register(String bootstrap, AgentDefinition definition) {
        String key = Topics.agentKey(definition.getName(), definition.getVersion());
        byte[] value = Topics.AGENTS.valueSerde().serializer().serialize(Topics.AGENTS.name(), definition);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.CLIENT_ID_CONFIG,
                        "agentlog-bench-agents",
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        (int) REQUEST_TIMEOUT.toMillis()),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.AGENTS.name(), key, value))
                    .get(REQUEST_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new BenchException(
                    "cannot register " + key + " on " + Topics.AGENTS.name() + " at " + bootstrap + ": "
                            + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while registering " + key, e);
        }
    }
}
