package io.agentlog.bench;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives sessions of one agent through a running engine, only through the contract's topics: sends their tasks
 * with at most {@code concurrency} in flight, and follows {@code agentlog.events} and {@code agentlog.results}
 * (read_committed, every partition, from the end offsets noted before the first task) until each has its result.
 *
 * <p>Single-threaded: one loop sends tasks as results free slots and polls one consumer for both topics. A result and
 * the session's last events commit in one transaction but may arrive in different polls, so after the last result
 * the loop reads on until every finished session's {@code SessionEnded} event is in, for at most {@link #DRAIN}.
 */
final class SessionLoad implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionLoad.class);

    /** Short: the loop sends the next task as soon as a result frees a slot, and a poll returns early on data. */
    private static final AvroSerde<SessionEvent> EVENTS = AvroSerde.of(SessionEvent.class);

    private static final AvroSerde<SessionResult> RESULTS = AvroSerde.of(SessionResult.class);

    private static final Duration POLL = Duration.ofMillis(5);

    static final Duration DRAIN = Duration.ofSeconds(10);

    /** Failures quoted in a result; the rest are only counted. */
    static final int MAX_QUOTED_FAILURES = 5;

    private static final String UNKNOWN_AGENT = "unknown agent";

    private final String bootstrapServers;
    private final Duration requestTimeout;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions;

    SessionLoad(String bootstrapServers, Duration requestTimeout) {
        this.bootstrapServers = bootstrapServers;
        this.requestTimeout = requestTimeout;
        this.producer = BenchStack.producer(bootstrapServers, "agentlog-bench-tasks", requestTimeout);
        this.consumer = BenchStack.readCommittedConsumer(bootstrapServers, "agentlog-bench-observer", requestTimeout);
        this.partitions = new ArrayList<>();
        partitions.addAll(partitionsOf(Topics.EVENTS.name()));
        partitions.addAll(partitionsOf(Topics.RESULTS.name()));
        consumer.assign(partitions);
    }

    /**
     * What a benchmark scenario sees of a run as it happens, on the run's own thread (so a callback that blocks holds
     * the run up): tasks sent, each session's events once each, in order, and results. After every poll it may end
     * the run early (sessions that wait on a tool call forever, say).
     */
    interface Listener {

        Listener NONE = new Listener() {};

        /** A session's task was handed to the producer at {@code atNanos} ({@link System#nanoTime()}). */
        default void submitted(String sessionId, long atNanos) {}

        /** A session's next event, read from partition {@code partition} of the events topic at {@code seenAtNanos}. */
        default void event(String sessionId, int partition, SessionEvent event, long seenAtNanos) {}

        /** A session's result, read at {@code seenAtNanos}. */
        default void result(String sessionId, SessionResult result, long seenAtNanos) {}

        /** After each poll: true ends the run now (sessions without a result then count as timed out). */
        default boolean stop(long nowNanos) {
            return false;
        }
    }

    /**
     * Runs the sessions and returns what was seen. Sessions without a result when {@code timeout} runs out are
     * counted as timed out, not waited for.
     */
    Outcome run(String agent, int version, List<String> sessionIds, int concurrency, Duration timeout) {
        return run(agent, version, sessionIds, concurrency, timeout, Listener.NONE);
    }

    /** {@link #run(String, int, List, int, Duration)}, telling {@code listener} what happens as it happens. */
    Outcome run(
            String agent, int version, List<String> sessionIds, int concurrency, Duration timeout, Listener listener) {
        Map<String, Tracked> sessions = new LinkedHashMap<>();
        sessionIds.forEach(id -> sessions.put(id, new Tracked()));
        if (sessions.size() != sessionIds.size()) {
            throw new IllegalArgumentException("session ids must be distinct, but " + sessionIds + " repeats one");
        }
        markEnd();
        AtomicReference<Exception> sendError = new AtomicReference<>();
        Samples samples = new Samples();
        List<Double> sessionLatencies = new ArrayList<>();
        List<SessionResult> notCompleted = new ArrayList<>();
        int completed = 0;
        int resultsSeen = 0;
        int next = 0;
        boolean stopped = false;
        long firstSubmit = System.nanoTime();
        long lastResult = firstSubmit;
        long deadline = firstSubmit + timeout.toNanos();
        while (resultsSeen < sessionIds.size() && System.nanoTime() - deadline < 0) {
            while (next - resultsSeen < concurrency && next < sessionIds.size()) {
                String sessionId = sessionIds.get(next++);
                long submittedAt = System.nanoTime();
                sessions.get(sessionId).submittedAt = submittedAt;
                submit(agent, version, sessionId, sendError);
                listener.submitted(sessionId, submittedAt);
            }
            if (sendError.get() != null) {
                Exception e = sendError.get();
                throw new BenchException(
                        "cannot send a task to " + Topics.TASKS.name() + " on " + bootstrapServers + ": "
                                + e.getMessage(),
                        e);
            }
            var records = consumer.poll(POLL);
            long seenAt = System.nanoTime();
            for (ConsumerRecord<String, byte[]> record : records) {
                Tracked tracked = record.key() == null ? null : sessions.get(record.key());
                if (tracked == null || record.value() == null) {
                    continue;
                }
                if (record.topic().equals(Topics.EVENTS.name())) {
                    onEvent(record, tracked, samples, listener, seenAt);
                } else if (tracked.result == null) {
                    SessionResult result = decode(record, RESULTS::decode);
                    if (result == null) {
                        continue;
                    }
                    tracked.result = result;
                    resultsSeen++;
                    lastResult = seenAt;
                    sessionLatencies.add((seenAt - tracked.submittedAt) / 1_000_000.0);
                    if (result.getStatus() == ResultStatus.COMPLETED) {
                        completed++;
                    } else {
                        notCompleted.add(result);
                    }
                    listener.result(record.key(), result, seenAt);
                }
            }
            if (listener.stop(System.nanoTime())) {
                stopped = true;
                break;
            }
        }
        drainEvents(sessions, samples, listener);
        int timedOut = sessionIds.size() - resultsSeen;
        if (timedOut > 0 && !stopped) {
            log.warn("{} of {} sessions had no result after {} ms", timedOut, sessionIds.size(), timeout.toMillis());
        }
        return new Outcome(
                sessionIds.size(),
                completed,
                List.copyOf(notCompleted),
                timedOut,
                Percentiles.of(samples.steps),
                Percentiles.of(samples.modelHops),
                Percentiles.of(samples.toolHops),
                Percentiles.of(sessionLatencies),
                Duration.ofNanos(resultsSeen == 0 ? 0 : lastResult - firstSubmit));
    }

    /**
     * Runs one probe session of a just-registered agent until it completes, with a new session id
     * ({@code idPrefix + attempt}) each time the engine answers "unknown agent" (its agents table is a global store
     * that may lag a moment behind the topic).
     *
     * @throws BenchException when no probe has a result within {@code timeout}, or one fails for another reason
     */
    void probe(String agent, int version, String idPrefix, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int attempt = 0; ; attempt++) {
            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1));
            String probe = idPrefix + attempt;
            Outcome outcome = run(agent, version, List.of(probe), 1, left);
            if (outcome.completed() == 1) {
                return;
            }
            if (outcome.timedOut() == 1) {
                throw new BenchException("the warm-up session " + probe + " had no result within "
                        + timeout.toSeconds() + " s: is the engine running on " + bootstrapServers
                        + ", with workers for the '" + Topics.MODEL_POOL + "' pool (scripted provider) and the '"
                        + Topics.TOOLS_POOL + "' pool (noop tool)? `./agentlog up` starts them all");
            }
            SessionResult failed = outcome.notCompleted().getFirst();
            boolean notYetKnown = failed.getError() != null && failed.getError().contains(UNKNOWN_AGENT);
            if (!notYetKnown || System.nanoTime() - deadline > 0) {
                throw new BenchException("the warm-up session " + probe + " ended " + failed.getStatus() + ": "
                        + failed.getError() + "; fix the stack before benchmarking it");
            }
            log.info("The engine has not read {}@{} yet; probing again", agent, version);
        }
    }

    /** Reads on until every session with a result has its {@code SessionEnded} event too. */
    private void drainEvents(Map<String, Tracked> sessions, Samples samples, Listener listener) {
        long deadline = System.nanoTime() + DRAIN.toNanos();
        while (sessions.values().stream().anyMatch(t -> t.result != null && !t.ended)) {
            if (System.nanoTime() - deadline > 0) {
                log.warn(
                        "Some sessions have a result but no SessionEnded event after {} ms; their last steps are "
                                + "not counted",
                        DRAIN.toMillis());
                return;
            }
            var records = consumer.poll(POLL);
            long seenAt = System.nanoTime();
            for (ConsumerRecord<String, byte[]> record : records) {
                Tracked tracked = record.key() == null ? null : sessions.get(record.key());
                if (tracked != null && record.value() != null && record.topic().equals(Topics.EVENTS.name())) {
                    onEvent(record, tracked, samples, listener, seenAt);
                }
            }
        }
    }

    /**
     * One step is the time between consecutive model turns of a session, by the engine's clock. Within it, the model
     * hop runs from {@code ModelRequested} to {@code ModelResponded} and a tool hop from {@code ToolRequested} to its
     * {@code ToolCompleted}: each is engine to worker to engine.
     */
    private void onEvent(
            ConsumerRecord<String, byte[]> record, Tracked tracked, Samples samples, Listener listener, long seenAt) {
        SessionEvent event = decode(record, EVENTS::decode);
        if (event == null || event.getSeq() < tracked.nextSeq) {
            return; // undecodable, or seen before
        }
        tracked.nextSeq = event.getSeq() + 1;
        listener.event(record.key(), record.partition(), event, seenAt);
        long at = event.getAt().toEpochMilli();
        switch (event.getEvent()) {
            case ModelRequested requested -> {
                if (tracked.lastModelRequestedAt >= 0) {
                    samples.steps.add((double) (at - tracked.lastModelRequestedAt));
                }
                tracked.lastModelRequestedAt = at;
            }
            case ModelResponded responded -> {
                if (tracked.lastModelRequestedAt >= 0) {
                    samples.modelHops.add((double) (at - tracked.lastModelRequestedAt));
                }
            }
            case ToolRequested requested -> tracked.toolsRequestedAt.put(requested.getToolCallId(), at);
            case ToolCompleted completed -> {
                Long requestedAt = tracked.toolsRequestedAt.remove(completed.getToolCallId());
                if (requestedAt != null) {
                    samples.toolHops.add((double) (at - requestedAt));
                }
            }
            case SessionEnded ended -> tracked.ended = true;
            default -> {
                // other transitions do not bound a step
            }
        }
    }

    private void submit(String agent, int version, String sessionId, AtomicReference<Exception> sendError) {
        TaskSubmitted task = TaskSubmitted.newBuilder()
                .setSessionId(sessionId)
                .setAgent(agent)
                .setAgentVersion(version)
                .setInput("agentlog bench: run the script")
                .setSubmittedAt(Instant.now())
                .build();
        byte[] value = Topics.TASKS.valueSerde().serializer().serialize(Topics.TASKS.name(), task);
        producer.send(new ProducerRecord<>(Topics.TASKS.name(), sessionId, value), (metadata, e) -> {
            if (e != null) {
                sendError.compareAndSet(null, e);
            }
        });
    }

    /** Starts reading every partition at its current end (the last stable offset, as this consumer is read_committed). */
    private void markEnd() {
        consumer.seekToEnd(partitions);
        partitions.forEach(p -> consumer.position(p, requestTimeout));
    }

    private List<TopicPartition> partitionsOf(String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, requestTimeout);
        if (infos == null || infos.isEmpty()) {
            throw new BenchException("topic " + topic + " does not exist on " + bootstrapServers
                    + ": start the stack (`./agentlog up`) or create the topics (`agentlog topics create`)");
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
    }

    private static <T> T decode(ConsumerRecord<String, byte[]> record, Function<byte[], T> decoder) {
        try {
            return decoder.apply(record.value());
        } catch (UndecodableRecordException e) {
            log.warn(
                    "Skipping an undecodable record at {}-{}@{} (key {}): {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.key(),
                    e.getMessage());
            return null;
        }
    }

    @Override
    public void close() {
        producer.close(requestTimeout);
        consumer.close();
    }

    /** What one run saw. */
    record Outcome(
            int sessions,
            int completed,
            List<SessionResult> notCompleted,
            int timedOut,
            Percentiles stepLatencyMs,
            Percentiles modelHopMs,
            Percentiles toolHopMs,
            Percentiles sessionLatencyMs,
            Duration wall) {

        int failed() {
            return notCompleted.size();
        }

        /** The first {@link #MAX_QUOTED_FAILURES} failures, each {@code sessionId STATUS: error}. */
        List<String> quotedFailures() {
            return notCompleted.stream()
                    .limit(MAX_QUOTED_FAILURES)
                    .map(r -> r.getSessionId() + " " + r.getStatus() + ": " + r.getError())
                    .toList();
        }
    }

    /** Latency samples of one run, in milliseconds. */
    private static final class Samples {
        final List<Double> steps = new ArrayList<>();
        final List<Double> modelHops = new ArrayList<>();
        final List<Double> toolHops = new ArrayList<>();
    }

    /** One session of the run: when its task went out, how far its events got, its result. */
    private static final class Tracked {
        long submittedAt;
        long nextSeq;
        long lastModelRequestedAt = -1;
        final Map<String, Long> toolsRequestedAt = new HashMap<>();
        SessionResult result;
        boolean ended;
    }
}
