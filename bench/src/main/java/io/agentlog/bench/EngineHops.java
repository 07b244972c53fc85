package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The engine hop alone, twice per session of {@link HoldAgent}, one session at a time:
 *
 * <ul>
 *   <li><b>start</b>: from sending the task (as a client does: idempotent, {@code acks=all}) until its
 *       {@code ModelRequested} is visible ({@code read_committed}): the engine reads the task, pins the definition and
 *       writes the model request with the session's first events, in one transaction.
 *   <li><b>result</b>: the session then waits on its hold tool. {@value #SETTLE_MS} ms after its
 *       {@code ToolRequested} is visible, with the stack idle, the benchmark writes the call's {@code WorkResult} as a
 *       worker does (idempotent, {@code acks=all}) and times from the broker's acknowledgement of that write until the
 *       session's result is visible: the engine reads the work result, journals it and, its step budget spent, ends
 *       the session (events and result in one transaction). This is the hop that ends a 1-step session too.
 * </ul>
 *
 * The model worker serves the session's one model turn between the two; that hop is not counted here.
 */
final class EngineHops implements AutoCloseable {

    /** The engine reads new definitions and work topics within seconds; probes are retried to a deadline. */
    private static final Duration PROBE_PAUSE = Duration.ofMillis(500);

    /** The pause between a session parking and its result being written: the stack goes quiet first. */
    static final long SETTLE_MS = 20;

    private static final String UNKNOWN_AGENT = "unknown agent";
    private static final String NO_WORK_TOPIC = "which has no topic";

    /** Start and result hops of the sessions that ended as expected, in milliseconds. */
    record Samples(Percentiles start, Percentiles result, List<String> failures) {}

    private final SessionLoad load;
    private final int version;
    private final String idPrefix;
    private final KafkaProducer<String, byte[]> producer;
    private int next;

    /**
     * @param version the registered version of {@link HoldAgent}
     * @param idPrefix session ids are this prefix and a counter
     */
    EngineHops(String bootstrap, SessionLoad load, int version, String idPrefix) {
        this.load = load;
        this.version = version;
        this.idPrefix = idPrefix;
        this.producer = BenchStack.producer(bootstrap, "agentlog-bench-work-results", BenchStack.REQUEST_TIMEOUT);
    }

    /**
     * Runs sessions until one ends as expected, retrying while the engine does not know the agent or its pool yet
     * (a definition or work topic it has not read yet).
     *
     * @throws BenchException when none does within {@code timeout}
     */
    void probe(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Samples one = measure(1, Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1)));
            if (one.result().count() == 1) {
                return;
            }
            String failure =
                    one.failures().isEmpty() ? "no result" : one.failures().getFirst();
            boolean notYet = failure.contains(UNKNOWN_AGENT) || failure.contains(NO_WORK_TOPIC);
            if (!notYet || System.nanoTime() - deadline > 0) {
                throw new BenchException("a session of " + HoldAgent.NAME + "@" + version + " did not park and end as "
                        + "expected within " + timeout.toSeconds() + " s: " + failure + "; is the engine running, "
                        + "with a model worker, and does the topic " + Topics.workTopicName(HoldAgent.POOL)
                        + " exist?");
            }
            Pause.pause(PROBE_PAUSE, "probing the engine");
        }
    }

    /** {@code sessions} sessions one after another; each gives a start and a result hop. */
    Samples measure(int sessions, Duration timeout) {
        List<String> ids = new ArrayList<>(sessions);
        for (int i = 0; i < sessions; i++) {
            ids.add(idPrefix + next++);
        }
        Hops hops = new Hops();
        SessionLoad.Outcome outcome = load.run(HoldAgent.NAME, version, ids, 1, timeout, hops);
        List<String> failures = new ArrayList<>(hops.failures);
        if (outcome.timedOut() > 0) {
            failures.add(outcome.timedOut() + " sessions had no result within " + timeout.toSeconds() + " s");
        }
        return new Samples(Percentiles.of(hops.start), Percentiles.of(hops.result), failures);
    }

    /** Follows one session at a time: times its start, answers its parked call, times the end. */
    private final class Hops implements SessionLoad.Listener {
        final List<Double> start = new ArrayList<>();
        final List<Double> result = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        final Map<String, Long> submittedAt = new HashMap<>();
        String parkedSession;
        String parkedWorkId;
        long parkedAt;
        final AtomicLong ackedAt = new AtomicLong();
        long sentAt;

        @Override
        public void submitted(String sessionId, long atNanos) {
            submittedAt.put(sessionId, atNanos);
        }

        @Override
        public void event(String sessionId, int partition, SessionEvent event, long seenAtNanos) {
            switch (event.getEvent()) {
                case ModelRequested requested
                when requested.getTurn() == 0 -> {
                    Long sent = submittedAt.get(sessionId);
                    if (sent != null) {
                        start.add((seenAtNanos - sent) / 1_000_000.0);
                    }
                }
                case ToolRequested requested
                when HoldAgent.POOL.equals(requested.getPool()) -> {
                    parkedSession = sessionId;
                    parkedWorkId = requested.getWorkId();
                    parkedAt = seenAtNanos;
                }
                default -> {
                    // other events do not bound a hop
                }
            }
        }

        @Override
        public boolean stop(long nowNanos) {
            if (parkedSession != null && sentAt == 0 && nowNanos - parkedAt >= SETTLE_MS * 1_000_000) {
                answer(parkedSession, parkedWorkId);
            }
            return false;
        }

        private void answer(String sessionId, String workId) {
            ackedAt.set(0);
            sentAt = System.nanoTime();
            producer.send(workResult(sessionId, workId), (metadata, e) -> {
                if (e == null) {
                    ackedAt.set(System.nanoTime());
                }
            });
        }

        @Override
        public void result(String sessionId, SessionResult outcome, long seenAtNanos) {
            boolean answered = sessionId.equals(parkedSession) && sentAt != 0;
            if (answered && outcome.getStatus() == ResultStatus.BUDGET_EXCEEDED) {
                long from = ackedAt.get() != 0 ? ackedAt.get() : sentAt;
                result.add((seenAtNanos - from) / 1_000_000.0);
            } else {
                failures.add(sessionId + " " + outcome.getStatus() + ": " + outcome.getError());
            }
            parkedSession = null;
            parkedWorkId = null;
            sentAt = 0;
        }
    }

    /** The {@code WorkResult} a worker would write for a session's hold call: {@code ok}. */
    static ProducerRecord<String, byte[]> workResult(String sessionId, String workId) {
        WorkResult answer = WorkResult.newBuilder()
                .setWorkId(workId)
                .setSessionId(sessionId)
                .setOutcome(WorkOutcome.OK)
                .setResult(ToolOutput.newBuilder().setContent("ok").build())
                .setUsage(new Usage(0L, 0L, 0L, 0L))
                .setWorkerId("agentlog-bench")
                .setCompletedAt(Instant.now())
                .build();
        byte[] value = Topics.WORK_RESULTS.valueSerde().serializer().serialize(Topics.WORK_RESULTS.name(), answer);
        return new ProducerRecord<>(Topics.WORK_RESULTS.name(), sessionId, value);
    }

    /** Answers every parked call (session id to work id), so the sessions end; waits until all are written. */
    static void answerAll(String bootstrap, Map<String, String> workIds) {
        try (KafkaProducer<String, byte[]> producer =
                BenchStack.producer(bootstrap, "agentlog-bench-release", BenchStack.REQUEST_TIMEOUT)) {
            workIds.forEach((session, workId) -> producer.send(workResult(session, workId)));
            producer.flush();
        }
    }

    @Override
    public void close() {
        producer.close(BenchStack.REQUEST_TIMEOUT);
    }
}
