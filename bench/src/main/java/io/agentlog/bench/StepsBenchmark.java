package io.agentlog.bench;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.IntStream;
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
        int version = BenchStack.registerFreshAgent(
                bootstrap, StepsAgent.NAME, v -> StepsAgent.definition(v, options.steps()));
        log.info("Registered {}@{} ({} steps per session)", StepsAgent.NAME, version, options.steps());

        Percentiles roundTrip = new TransactionalRoundTrip(bootstrap).measure(roundTrips);

        String runId = UUID.randomUUID().toString().substring(0, 8);
        try (SessionLoad load = new SessionLoad(bootstrap, BenchStack.REQUEST_TIMEOUT)) {
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
        load.probe(StepsAgent.NAME, version, "bench-" + runId + "-probe-", options.timeout());
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
                        outcome.quotedFailures());
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
                outcome.quotedFailures(),
                BenchResult.Machine.current(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    static List<String> ids(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    }
}
