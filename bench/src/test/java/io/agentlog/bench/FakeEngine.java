package io.agentlog.bench;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A stand-in for the engine and its workers, on the real broker: for each task it writes, in one transaction, the
 * journal a {@code steps}-step session would have (model turns {@link #STEP_MS} apart by the event clock, each
 * model hop {@link #MODEL_HOP_MS} and tool hop {@link #TOOL_HOP_MS} long) and a terminal result. The first task is answered "unknown agent", as a real engine does while its global
 * store has not yet read a just-registered definition. Sessions whose id matches {@code failing} end
 * {@code BUDGET_EXCEEDED}.
 */
final class FakeEngine implements AutoCloseable {

    static final long STEP_MS = 7;
    static final long MODEL_HOP_MS = 2;
    static final long TOOL_HOP_MS = 3;

    private final int steps;
    private final Predicate<String> failing;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger tasksSeen = new AtomicInteger();
    private final Thread thread;

    FakeEngine(String bootstrap, int steps, Predicate<String> failing) {
        this.steps = steps;
        this.failing = failing;
        this.consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        "fake-engine-" + UUID.randomUUID(),
                        ProducerConfig.LINGER_MS_CONFIG,
                        0),
                new StringSerializer(),
                new ByteArraySerializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.TASKS.name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        producer.initTransactions();
        this.thread = Thread.ofPlatform().name("fake-engine").start(this::loop);
    }

    int tasksSeen() {
        return tasksSeen.get();
    }

    private void loop() {
        try {
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                    TaskSubmitted task =
                            Topics.TASKS.valueSerde().deserializer().deserialize(record.topic(), record.value());
                    producer.beginTransaction();
                    answer(record.key(), task, tasksSeen.getAndIncrement() == 0);
                    producer.commitTransaction();
                }
            }
        } catch (WakeupException e) {
            // closing
        }
    }

    private void answer(String sessionId, TaskSubmitted task, boolean unknownAgent) {
        long at = System.currentTimeMillis();
        long seq = 0;
        if (unknownAgent) {
            String error = "unknown agent '" + task.getAgent() + "' version " + task.getAgentVersion();
            event(sessionId, seq, at, new SessionEnded(ResultStatus.FAILED, null, error));
            result(sessionId, task, ResultStatus.FAILED, null, error, 0);
            return;
        }
        event(
                sessionId,
                seq++,
                at,
                new SessionStarted(
                        task.getAgent(),
                        task.getAgentVersion(),
                        task.getInput(),
                        null,
                        null,
                        java.time.Instant.EPOCH,
                        null,
                        java.time.Instant.EPOCH));
        for (int turn = 0; turn <= steps; turn++) {
            long turnAt = at + turn * STEP_MS;
            event(sessionId, seq++, turnAt, new ModelRequested("m" + turn, turn, java.time.Instant.EPOCH));
            boolean last = turn == steps;
            String callId = "call_" + turn + "_0";
            List<ToolCall> calls = last ? List.of() : List.of(new ToolCall(callId, BuiltinTools.NOOP, "{}"));
            event(
                    sessionId,
                    seq++,
                    turnAt + MODEL_HOP_MS,
                    new ModelResponded(
                            "m" + turn, turn, last ? StepsAgent.FINAL_TEXT : "", calls, new Usage(0L, 0L, 0L)));
            if (!last) {
                event(
                        sessionId,
                        seq++,
                        turnAt + MODEL_HOP_MS,
                        new ToolRequested(
                                "t" + turn,
                                callId,
                                BuiltinTools.NOOP,
                                "{}",
                                Topics.TOOLS_POOL,
                                java.time.Instant.EPOCH));
                event(
                        sessionId,
                        seq++,
                        turnAt + MODEL_HOP_MS + TOOL_HOP_MS,
                        new ToolCompleted(callId, BuiltinTools.NOOP, WorkOutcome.OK, "ok", false, null, null));
            }
        }
        long end = at + steps * STEP_MS;
        if (failing.test(sessionId)) {
            event(sessionId, seq, end, new SessionEnded(ResultStatus.BUDGET_EXCEEDED, null, "step budget spent"));
            result(sessionId, task, ResultStatus.BUDGET_EXCEEDED, null, "step budget spent", steps + 1);
        } else {
            event(sessionId, seq, end, new SessionEnded(ResultStatus.COMPLETED, StepsAgent.FINAL_TEXT, null));
            result(sessionId, task, ResultStatus.COMPLETED, StepsAgent.FINAL_TEXT, null, steps + 1);
        }
    }

    private void event(String sessionId, long seq, long at, SpecificRecord payload) {
        SessionEvent event = new SessionEvent(sessionId, seq, Instant.ofEpochMilli(at), payload);
        producer.send(new ProducerRecord<>(
                Topics.EVENTS.name(),
                sessionId,
                Topics.EVENTS.valueSerde().serializer().serialize(Topics.EVENTS.name(), event)));
    }

    private void result(
            String sessionId, TaskSubmitted task, ResultStatus status, String output, String error, int turns) {
        SessionResult result = SessionResult.newBuilder()
                .setSessionId(sessionId)
                .setStatus(status)
                .setOutput(output)
                .setError(error)
                .setAgent(task.getAgent())
                .setAgentVersion(task.getAgentVersion())
                .setSteps(turns)
                .setToolCalls(Math.max(turns - 1, 0))
                .setUsage(new Usage(0L, 0L, 0L))
                .build();
        producer.send(new ProducerRecord<>(
                Topics.RESULTS.name(),
                sessionId,
                Topics.RESULTS.valueSerde().serializer().serialize(Topics.RESULTS.name(), result)));
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        consumer.wakeup();
        thread.join(Duration.ofSeconds(10));
        consumer.close();
        producer.close();
    }
}
