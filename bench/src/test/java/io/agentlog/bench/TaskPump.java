package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * The plumbing of a stand-in engine on the real broker: on a thread of its own it reads the tasks sent after it
 * started (read_committed) and hands each to a handler, which writes its answer through a transactional producer.
 */
final class TaskPump implements AutoCloseable {

    /** What a stand-in does with a task: its writes, in {@link #transaction(Runnable)}s. */
    interface Handler {
        void onTask(ConsumerRecord<String, byte[]> record, TaskSubmitted task);
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    TaskPump(String bootstrap, String name) {
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
                        name + "-" + UUID.randomUUID(),
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
    }

    /** Starts reading: each task goes to {@code handler}; {@code idle} runs after every poll. */
    void start(String threadName, Handler handler, Runnable idle) {
        thread = Thread.ofPlatform().name(threadName).start(() -> {
            try {
                while (running.get()) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                        handler.onTask(
                                record,
                                Topics.TASKS.valueSerde().deserializer().deserialize(record.topic(), record.value()));
                    }
                    idle.run();
                }
            } catch (WakeupException e) {
                // closing
            }
        });
    }

    void transaction(Runnable writes) {
        producer.beginTransaction();
        writes.run();
        producer.commitTransaction();
    }

    void send(ProducerRecord<String, byte[]> record) {
        producer.send(record);
    }

    void event(String sessionId, long seq, long at, SpecificRecord payload) {
        SessionEvent event = new SessionEvent(sessionId, seq, Instant.ofEpochMilli(at), payload);
        producer.send(new ProducerRecord<>(
                Topics.EVENTS.name(),
                sessionId,
                Topics.EVENTS.valueSerde().serializer().serialize(Topics.EVENTS.name(), event)));
    }

    void result(SessionResult result) {
        producer.send(new ProducerRecord<>(
                Topics.RESULTS.name(),
                result.getSessionId(),
                Topics.RESULTS.valueSerde().serializer().serialize(Topics.RESULTS.name(), result)));
    }

    /** The {@code SessionStarted} event of a task, with no limits and no deadline. */
    static SessionStarted started(TaskSubmitted task) {
        return new SessionStarted(
                task.getAgent(),
                task.getAgentVersion(),
                task.getInput(),
                null,
                null,
                Instant.EPOCH,
                null,
                Instant.EPOCH,
                null,
                0);
    }

    /** A session's result; {@code turns} model turns, one tool call fewer. */
    static SessionResult resultOf(
            String sessionId, TaskSubmitted task, ResultStatus status, String output, String error, int turns) {
        return SessionResult.newBuilder()
                .setSessionId(sessionId)
                .setStatus(status)
                .setOutput(output)
                .setError(error)
                .setAgent(task.getAgent())
                .setAgentVersion(task.getAgentVersion())
                .setSteps(turns)
                .setToolCalls(Math.max(turns - 1, 0))
                .setUsage(new Usage(0L, 0L, 0L, 0L))
                .build();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        consumer.wakeup();
        if (thread != null) {
            thread.join(Duration.ofSeconds(10));
        }
        consumer.close();
        producer.close();
    }
}
