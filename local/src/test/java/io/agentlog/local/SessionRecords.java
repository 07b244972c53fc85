package io.agentlog.local;

import io.agentlog.engine.Engine;
import io.agentlog.engine.EngineTopology;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.testkit.SharedBroker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.awaitility.Awaitility;

/** What a stack did for a session, read back from its topics and the engine's stores, and records a test injects. */
final class SessionRecords {

    private SessionRecords() {}

    /** The events of one type in a journal, in order. */
    static <T> List<T> events(List<SessionEvent> journal, Class<T> type) {
        return journal.stream()
                .map(SessionEvent::getEvent)
                .filter(type::isInstance)
                .map(type::cast)
                .toList();
    }

    /** The values of {@code key} on {@code topic}, read_committed, from the beginning to the end it had when asked. */
    static <V> List<V> readToEnd(String topic, Deserializer<V> values, String key, Duration deadline) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<V> found = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions); // read_committed: the last stable offsets
            long stop = System.nanoTime() + deadline.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() - stop > 0) {
                    throw new AssertionError("could not read " + topic + " to its end within " + deadline);
                }
                consumer.poll(Duration.ofMillis(100)).forEach(record -> {
                    if (key.equals(record.key()) && record.value() != null) {
                        found.add(record.value());
                    }
                });
            }
        }
        return found;
    }

    /** The session's results on {@code agentlog.results} (exactly one, once it ended). */
    static List<SessionResult> results(String session, Duration deadline) {
        return readToEnd(Topics.RESULTS.name(), Topics.RESULTS.valueSerde().deserializer(), session, deadline);
    }

    /** The request of the session's model turn {@code turn} as the model worker got it, once the engine sent it. */
    static ModelCall awaitModelCall(String session, int turn, Duration deadline) {
        String topic = Topics.workTopicName(Topics.MODEL_POOL);
        Deserializer<WorkRequest> requests =
                Topics.work(Topics.MODEL_POOL).valueSerde().deserializer();
        return Awaitility.await("model turn " + turn + " of session " + session)
                .atMost(deadline)
                .until(
                        () -> readToEnd(topic, requests, session, deadline).stream()
                                .map(WorkRequest::getRequest)
                                .filter(ModelCall.class::isInstance)
                                .map(ModelCall.class::cast)
                                .filter(call -> call.getTurn() == turn)
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    /** The tool result for {@code toolCallId} in a model request: what the model was shown of that call. */
    static Message toolMessage(ModelCall call, String toolCallId) {
        return call.getMessages().stream()
                .filter(m -> m.getRole() == Role.TOOL && toolCallId.equals(m.getToolCallId()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(
                        "no tool result for call " + toolCallId + " in the model request " + call.getMessages()));
    }

    /**
     * The timers the engine keeps for the session, timer id to due time (epoch ms), read from its {@code timers}
     * store; retried while the store is not queryable (a rebalance, a restore).
     */
    static Map<String, Long> timers(Engine engine, String session, Duration deadline) {
        return Awaitility.await("the timers store of the engine")
                .atMost(deadline)
                .ignoreExceptionsInstanceOf(InvalidStateStoreException.class)
                .until(() -> timersNow(engine, session), timers -> true);
    }

    private static Map<String, Long> timersNow(Engine engine, String session) {
        ReadOnlyKeyValueStore<String, String> store = engine.streams()
                .store(StoreQueryParameters.fromNameAndType(
                        EngineTopology.TIMERS_STORE, QueryableStoreTypes.<String, String>keyValueStore()));
        Map<String, Long> timers = new TreeMap<>();
        try (KeyValueIterator<String, String> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, String> entry = all.next();
                // keys are <due ms, 16 digits>/<session id>/<timer id>; session ids hold no '/'
                String[] parts = entry.key.split("/", 3);
                if (parts[1].equals(session)) {
                    timers.put(parts[2], Long.parseLong(parts[0]));
                }
            }
        }
        return timers;
    }

    /** A tool's result for a session's work item, as a worker that never heard of a cancel would send it. */
    static WorkResult lateToolResult(String session, String workId, String content) {
        return WorkResult.newBuilder()
                .setWorkId(workId)
                .setSessionId(session)
                .setOutcome(WorkOutcome.OK)
                .setResult(ToolOutput.newBuilder().setContent(content).build())
                .setUsage(Usage.newBuilder()
                        .setInputTokens(0)
                        .setOutputTokens(0)
                        .setCostMicros(0)
                        .build())
                .setWorkerId("a-late-worker")
                .setCompletedAt(Instant.now())
                .build();
    }

    /** Writes work results to {@code agentlog.work.results} in this order (keyed by session id, as workers do). */
    static void sendWorkResults(List<WorkResult> results) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.bootstrapServers());
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        try (var producer = new KafkaProducer<>(
                props, new StringSerializer(), Topics.WORK_RESULTS.valueSerde().serializer())) {
            for (WorkResult result : results) {
                producer.send(new ProducerRecord<>(Topics.WORK_RESULTS.name(), result.getSessionId(), result))
                        .get();
            }
        }
    }

    /** A new session id whose records land on the same partition of every session topic as {@code session}'s. */
    static String onSamePartitionAs(String session, String prefix) {
        int partition = SessionIds.partition(session, Topics.SESSION_PARTITIONS);
        while (true) {
            String candidate = prefix + UUID.randomUUID();
            if (SessionIds.partition(candidate, Topics.SESSION_PARTITIONS) == partition) {
                return candidate;
            }
        }
    }
}
