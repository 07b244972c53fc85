package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Utils;

/**
 * {@code agentlog bench retention}: how many bytes the engine keeps per session, and whether they leave the disk once
 * the sessions' retention is over.
 *
 * <p>A run registers a fresh version of {@link RetentionAgent}, proves with a probe session that the engine has it,
 * finds the engine's changelog topics ({@code <applicationId>-<store>-changelog}), sets {@link CompactionSettings} on
 * them and on {@code agentlog.blobs}, and measures the baseline. It runs the sessions and measures {@code before}.
 * Once the last session's retention has come due it reads the topics until no live key of the run is left, then
 * sends tasks again under the ids of a sample of the deleted sessions (each must start a fresh session; their writes
 * also roll the changelogs' segments), and polls the bytes until they are down to
 * {@link RetentionResult#RETURNED_FRACTION} of what the run added (plus the fresh sessions' share) and stopped
 * falling, or the wait ran out: then it measures {@code after}. Each moment records every topic's bytes on the
 * brokers, reads the compacted topics through, and sizes the engine's state directory when it is known. The topic
 * settings are put back at the end.
 *
 * <p>Everything goes through topics and Admin, so the stack may be local or remote; the engine's retention must be
 * known ({@link Options#retention()}) to tell whether all sessions were still live when {@code before} was taken.
 */
public final class RetentionBenchmark {

    public static final String NAME = "retention";
    public static final int DEFAULT_RESUBMITTED = 20;

    /** How often the bytes are polled while waiting. */
    static final Duration DEFAULT_POLL = Duration.ofSeconds(5);

    /** After the disk returned, how long it must stop falling before the wait ends early. */
    static final Duration DEFAULT_SETTLE = Duration.ofSeconds(60);

    /** How long a resubmitted task may take to get its result. */
    private static final Duration RESUBMIT_TIMEOUT = Duration.ofMinutes(2);

    /** How long reading a topic through may take. */
    private static final Duration SCAN_TIMEOUT = Duration.ofMinutes(10);

    private static final List<String> JOURNAL = List.of(Topics.EVENTS.name(), Topics.RESULTS.name());

    /**
     * @param bootstrapServers the stack's Kafka
     * @param applicationId the engine's Streams application id (its changelog topics start with it)
     * @param sessions sessions run and measured
     * @param concurrency most sessions in flight at once
     * @param fileBytes size of the file each session writes
     * @param retention the engine's retention of ended sessions ({@code AGENTLOG_RETENTION_MS})
     * @param waitLimit how long to wait, after all sessions ended, for the disk to return
     * @param timeout the longest the probe, and then the sessions, may each take
     * @param stateDir the engine's state directory, to size on disk
     */
    public record Options(
            String bootstrapServers,
            String applicationId,
            int sessions,
            int concurrency,
            int fileBytes,
            Duration retention,
            Duration waitLimit,
            Duration timeout,
            Optional<Path> stateDir) {

        public Options {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException(
                        "bootstrap servers must be host:port[,host:port...], but was '" + bootstrapServers + "'");
            }
            if (applicationId == null || !applicationId.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException(
                        "application id must match [A-Za-z0-9._-]+, but was '" + applicationId + "'");
            }
            if (sessions < 1) {
                throw new IllegalArgumentException("sessions must be at least 1, but was " + sessions);
            }
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, but was " + concurrency);
            }
            RetentionAgent.requireFileBytes(fileBytes);
            requirePositive("retention", retention);
            if (retention.toMillis() < 1000) {
                throw new IllegalArgumentException(
                        "retention must be at least 1s (the engine's minimum), but was " + retention);
            }
            requirePositive("wait", waitLimit);
            if (waitLimit.compareTo(retention) <= 0) {
                throw new IllegalArgumentException("wait must be longer than the retention (" + retention
                        + "): deleting starts when the retention is over, but was " + waitLimit);
            }
            requirePositive("timeout", timeout);
            Objects.requireNonNull(stateDir, "stateDir");
        }

        private static void requirePositive(String what, Duration value) {
            Objects.requireNonNull(value, what);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, but was " + value);
            }
        }
    }

    /** Everything measured at one moment. */
    record Moment(
            Map<String, Long> bytes, Map<String, TopicFootprint.Scan> scans, OptionalLong stateDirBytes, Instant at) {

        long bytesOf(List<String> topics) {
            return topics.stream().mapToLong(t -> bytes.getOrDefault(t, 0L)).sum();
        }

        long liveBytes() {
            return scans.values().stream()
                    .mapToLong(TopicFootprint.Scan::liveBytes)
                    .sum();
        }

        long liveKeys() {
            return scans.values().stream().mapToLong(s -> s.liveKeys().size()).sum();
        }

        RetentionResult.Snapshot snapshot(String topic) {
            long onDisk = bytes.getOrDefault(topic, 0L);
            TopicFootprint.Scan scan = scans.get(topic);
            if (scan == null) {
                return RetentionResult.Snapshot.bytesOnly(onDisk);
            }
            return new RetentionResult.Snapshot(
                    onDisk,
                    scan.records(),
                    scan.tombstones(),
                    (long) scan.liveKeys().size(),
                    scan.liveBytes());
        }
    }

    /** The three moments measured. */
    record Moments(Moment baseline, Moment before, Moment after) {}

    /**
     * How the wait for the deletions ended.
     *
     * @param deleted sessions of the run of which no live key was left
     * @param allDeletedAt when that was all of them, if it was
     * @param held the '/'-separated parts of every live key then (see {@link TopicFootprint#keyParts})
     */
    record Deletion(int deleted, Optional<Instant> allDeletedAt, Set<String> held) {}

    private final Duration pollInterval;
    private final Duration settle;
    private final Map<String, String> topicSettings;
    private final int resubmitted;
    private final Consumer<String> progress;

    /** The defaults: polls every 5 s, settles for 60 s, {@link CompactionSettings#MEASUREMENT}, resubmits 20. */
    public RetentionBenchmark(Consumer<String> progress) {
        this(DEFAULT_POLL, DEFAULT_SETTLE, CompactionSettings.MEASUREMENT, DEFAULT_RESUBMITTED, progress);
    }

    /**
     * @param pollInterval how often the bytes are polled while waiting
     * @param settle how long the bytes must stop falling, once returned, before the wait ends early
     * @param topicSettings set on the measured topics for the run
     * @param resubmitted deleted sessions whose tasks are sent again (at most the sessions run)
     * @param progress told what the run is doing, a line at a time
     */
    RetentionBenchmark(
            Duration pollInterval,
            Duration settle,
            Map<String, String> topicSettings,
            int resubmitted,
            Consumer<String> progress) {
        if (resubmitted < 1) {
            throw new IllegalArgumentException("resubmitted sessions must be at least 1, but was " + resubmitted);
        }
        this.pollInterval = pollInterval;
        this.settle = settle;
        this.topicSettings = Map.copyOf(topicSettings);
        this.resubmitted = resubmitted;
        this.progress = progress;
    }

    /**
     * Runs the benchmark against the stack at {@code options.bootstrapServers()}.
     *
     * @throws BenchException when the stack is missing or broken (no topics, no engine answering, no changelog topics
     *     for the application id); failed sessions and a disk that does not return are reported in the result
     */
    public RetentionResult run(Options options) {
        String bootstrap = options.bootstrapServers();
        int version = BenchStack.registerFreshAgent(
                bootstrap, RetentionAgent.NAME, v -> RetentionAgent.definition(v, options.fileBytes()));
        progress.accept("registered %s@%d (writes a %d-byte file, calls noop, answers)"
                .formatted(RetentionAgent.NAME, version, options.fileBytes()));
        String runId = UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = BenchStack.admin(bootstrap);
                SessionLoad load = new SessionLoad(bootstrap, BenchStack.REQUEST_TIMEOUT)) {
            load.probe(RetentionAgent.NAME, version, "bench-" + runId + "-probe-", options.timeout());
            List<String> measured = measuredTopics(admin, options);
            CompactionSettings.Applied applied = CompactionSettings.apply(admin, measured, topicSettings, bootstrap);
            try {
                return measure(options, admin, load, version, runId, measured);
            } finally {
                applied.restore(admin);
            }
        }
    }

    private RetentionResult measure(
            Options options, Admin admin, SessionLoad load, int version, String runId, List<String> measured) {
        Moment baseline = moment(admin, options, measured);
        progress.accept("baseline: %d bytes in %s".formatted(baseline.bytesOf(measured), measured));

        List<String> ids = IntStream.range(0, options.sessions())
                .mapToObj(i -> "bench-" + runId + "-" + i)
                .toList();
        progress.accept("running %d sessions, at most %d at once".formatted(options.sessions(), options.concurrency()));
        Instant start = Instant.now();
        SessionLoad.Outcome outcome =
                load.run(RetentionAgent.NAME, version, ids, options.concurrency(), options.timeout());
        Instant lastResult = start.plus(outcome.wall());
        progress.accept("%d completed, %d failed, %d timed out in %d s"
                .formatted(
                        outcome.completed(),
                        outcome.failed(),
                        outcome.timedOut(),
                        outcome.wall().toSeconds()));

        Moment before = moment(admin, options, measured);
        boolean allLive = before.at().isBefore(start.plus(options.retention()));
        progress.accept("before: %d bytes, %d live keys; waiting up to %d s for the retention (%d s) to delete them"
                .formatted(
                        before.bytesOf(measured),
                        before.liveKeys(),
                        options.waitLimit().toSeconds(),
                        options.retention().toSeconds()));
        Instant deadline = before.at().plus(options.waitLimit());

        Deletion deletion = awaitDeletion(options, measured, ids, lastResult.plus(options.retention()), deadline);
        progress.accept("%d of %d sessions deleted".formatted(deletion.deleted(), ids.size()));

        RetentionResult.Resubmission proof = resubmit(load, version, ids, deletion.held(), options);
        progress.accept("resubmitted %d deleted sessions: %d started afresh"
                .formatted(proof.sessions(), proof.freshSessions()));

        long added = Math.max(before.bytesOf(measured) - baseline.bytesOf(measured), 0);
        long fresh = Math.round(proof.freshSessions() * (double) added / ids.size());
        long target = baseline.bytesOf(measured) + (long) (added * RetentionResult.RETURNED_FRACTION) + fresh;
        Optional<Instant> returnedAt = awaitReturn(admin, options.bootstrapServers(), measured, target, deadline);
        Instant waitEnded = Instant.now();
        Moment after = moment(admin, options, measured);
        progress.accept("after: %d bytes, %d live keys".formatted(after.bytesOf(measured), after.liveKeys()));

        return result(
                options,
                outcome,
                measured,
                new Moments(baseline, before, after),
                allLive,
                lastResult,
                deletion,
                proof,
                returnedAt,
                Duration.between(before.at(), waitEnded),
                topicSettings);
    }

    /** The engine's changelog topics and the blobs topic; fails when the engine has no changelog topics there. */
    private static List<String> measuredTopics(Admin admin, Options options) {
        List<String> changelogs = TopicFootprint.changelogs(admin, options.applicationId(), options.bootstrapServers());
        if (changelogs.isEmpty()) {
            throw new BenchException("no changelog topics " + options.applicationId() + "-<store>-changelog on "
                    + options.bootstrapServers() + ": is " + options.applicationId()
                    + " the engine's application id (AGENTLOG_APPLICATION_ID)? Give it with --application-id");
        }
        List<String> measured = new ArrayList<>(changelogs);
        measured.add(Topics.BLOBS.name());
        return List.copyOf(measured);
    }

    private static Moment moment(Admin admin, Options options, List<String> measured) {
        List<String> all = new ArrayList<>(measured);
        all.addAll(JOURNAL);
        Map<String, Long> bytes = TopicFootprint.bytes(admin, all, options.bootstrapServers());
        Map<String, TopicFootprint.Scan> scans =
                TopicFootprint.scan(options.bootstrapServers(), measured, SCAN_TIMEOUT);
        OptionalLong stateDir = options.stateDir()
                .map(dir -> OptionalLong.of(directoryBytes(dir)))
                .orElse(OptionalLong.empty());
        return new Moment(bytes, scans, stateDir, Instant.now());
    }

    /**
     * Waits until the last session's retention has come due, then reads the measured topics through every poll until
     * no live key is left of any session of the run, or the deadline passes.
     */
    private Deletion awaitDeletion(
            Options options, List<String> measured, List<String> ids, Instant due, Instant deadline) {
        if (Instant.now().isBefore(due)) {
            progress.accept("the last session's retention comes due in %d s"
                    .formatted(Duration.between(Instant.now(), due).toSeconds()));
            Pause.pause(Duration.between(Instant.now(), min(due, deadline)), "waiting for the retention");
        }
        Instant lastReport = Instant.now();
        while (true) {
            Set<String> held =
                    TopicFootprint.keyParts(TopicFootprint.scan(options.bootstrapServers(), measured, SCAN_TIMEOUT)
                            .values());
            int left = (int) ids.stream().filter(held::contains).count();
            if (left == 0) {
                return new Deletion(ids.size(), Optional.of(Instant.now()), held);
            }
            if (!Instant.now().isBefore(deadline)) {
                return new Deletion(ids.size() - left, Optional.empty(), held);
            }
            if (Duration.between(lastReport, Instant.now()).toSeconds() >= 60) {
                lastReport = Instant.now();
                progress.accept("%d sessions not yet deleted".formatted(left));
            }
            Pause.pause(pollInterval, "waiting for the retention");
        }
    }

    /**
     * Polls the bytes of the measured topics until they are at most {@code target} and have then stopped falling for
     * {@link #settle}, or the deadline passes. Returns when they first were at most {@code target}.
     */
    private Optional<Instant> awaitReturn(
            Admin admin, String bootstrap, List<String> measured, long target, Instant deadline) {
        Optional<Instant> returnedAt = Optional.empty();
        long lowest = Long.MAX_VALUE;
        Instant lastFall = Instant.now();
        Instant lastReport = Instant.now();
        while (Instant.now().isBefore(deadline)) {
            long now = TopicFootprint.bytes(admin, measured, bootstrap).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
            if (now < lowest) {
                lowest = now;
                lastFall = Instant.now();
            }
            if (returnedAt.isEmpty() && now <= target) {
                returnedAt = Optional.of(Instant.now());
                progress.accept("returned: %d bytes, at most %d wanted".formatted(now, target));
            }
            if (returnedAt.isPresent()
                    && Duration.between(lastFall, Instant.now()).compareTo(settle) >= 0) {
                break;
            }
            if (Duration.between(lastReport, Instant.now()).toSeconds() >= 60) {
                lastReport = Instant.now();
                progress.accept("waiting for compaction: %d bytes, at most %d wanted".formatted(now, target));
            }
            Pause.pause(pollInterval, "waiting for compaction");
        }
        return returnedAt;
    }

    /**
     * Sends the tasks of a sample of the run's sessions again, under the same ids. A session the engine deleted starts
     * afresh and gets a new result; one it still holds drops the task as a duplicate. Their writes also roll the
     * changelogs' active segments, which the cleaner never compacts, as a running system's new sessions would.
     */
    private RetentionResult.Resubmission resubmit(
            SessionLoad load, int version, List<String> ids, Set<String> held, Options options) {
        List<String> sample = sample(ids, resubmitted, Topics.TASKS.partitions());
        int deleted = (int) sample.stream().filter(id -> !held.contains(id)).count();
        Duration timeout = min(RESUBMIT_TIMEOUT, options.timeout());
        SessionLoad.Outcome outcome = load.run(RetentionAgent.NAME, version, sample, sample.size(), timeout);
        return new RetentionResult.Resubmission(sample.size(), deleted, outcome.completed() + outcome.failed());
    }

    /**
     * {@code count} ids (all of them when there are fewer), spread over every partition the Java client's default
     * partitioner puts them on, so every changelog partition gets a write, and within a partition over the run.
     */
    static List<String> sample(List<String> ids, int count, int partitions) {
        if (ids.size() <= count) {
            return ids;
        }
        Map<Integer, List<String>> byPartition = new TreeMap<>();
        for (String id : ids) {
            int partition = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions;
            byPartition.computeIfAbsent(partition, p -> new ArrayList<>()).add(id);
        }
        int rounds = (count + byPartition.size() - 1) / byPartition.size();
        Set<String> sample = new LinkedHashSet<>();
        for (int round = 0; round < rounds; round++) {
            for (List<String> inPartition : byPartition.values()) {
                if (sample.size() < count) {
                    sample.add(inPartition.get((int) ((long) round * inPartition.size() / rounds)));
                }
            }
        }
        for (int i = 0; sample.size() < count; i++) {
            sample.add(ids.get(i));
        }
        return List.copyOf(sample);
    }

    private static <T extends Comparable<T>> T min(T a, T b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    static RetentionResult result(
            Options options,
            SessionLoad.Outcome outcome,
            List<String> measured,
            Moments moments,
            boolean allLive,
            Instant lastResult,
            Deletion deletion,
            RetentionResult.Resubmission proof,
            Optional<Instant> returnedAt,
            Duration waited,
            Map<String, String> topicSettings) {
        int n = options.sessions();
        Moment baseline = moments.baseline();
        Moment before = moments.before();
        Moment after = moments.after();
        double wallSeconds = outcome.wall().toNanos() / 1e9;
        Optional<Double> returnedAfter = returnedAt.map(at -> seconds(Duration.between(lastResult, at)));
        RetentionResult.Phases stateDir = before.stateDirBytes().isPresent()
                ? new RetentionResult.Phases(
                        baseline.stateDirBytes().getAsLong(),
                        before.stateDirBytes().getAsLong(),
                        after.stateDirBytes().getAsLong())
                : null;
        return new RetentionResult(
                NAME,
                n,
                options.concurrency(),
                options.fileBytes(),
                options.retention().toMillis(),
                options.applicationId(),
                outcome.completed(),
                outcome.failed(),
                outcome.timedOut(),
                wallSeconds,
                wallSeconds > 0 ? (outcome.completed() + outcome.failed()) / wallSeconds : 0,
                allLive,
                reports(measured, moments),
                reports(JOURNAL, moments),
                new RetentionResult.Phases(
                        baseline.bytesOf(measured), before.bytesOf(measured), after.bytesOf(measured)),
                stateDir,
                new RetentionResult.PerSession(
                        (before.bytesOf(measured) - baseline.bytesOf(measured)) / (double) n,
                        (before.liveBytes() - baseline.liveBytes()) / (double) n,
                        (before.liveKeys() - baseline.liveKeys()) / (double) n,
                        (before.bytesOf(JOURNAL) - baseline.bytesOf(JOURNAL)) / (double) n,
                        stateDir == null ? null : (stateDir.before() - stateDir.baseline()) / (double) n),
                deletion.deleted(),
                deletion.allDeletedAt()
                        .map(at -> seconds(Duration.between(lastResult, at)))
                        .orElse(null),
                proof,
                returnedAt.isPresent(),
                returnedAfter.orElse(null),
                returnedAfter.map(s -> s - seconds(options.retention())).orElse(null),
                seconds(waited),
                topicSettings,
                outcome.quotedFailures(),
                BenchResult.Machine.current(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    private static List<RetentionResult.TopicReport> reports(List<String> topics, Moments moments) {
        return topics.stream()
                .map(t -> new RetentionResult.TopicReport(
                        t,
                        moments.baseline().snapshot(t),
                        moments.before().snapshot(t),
                        moments.after().snapshot(t)))
                .toList();
    }

    /** The bytes of the regular files under {@code dir}; files that vanish while it is walked (RocksDB) are skipped. */
    static long directoryBytes(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BenchException("the state dir " + dir + " is not a directory: give the engine's "
                    + "AGENTLOG_STATE_DIR with --state-dir, or leave it out");
        }
        AtomicLong total = new AtomicLong();
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) {
                        total.addAndGet(attrs.size());
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot size the state dir " + dir + ": " + e.getMessage(), e);
        }
        return total.get();
    }
}
