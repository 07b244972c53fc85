package io.agentlog.worker.it;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkProgress;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.worker.ClaimMarkers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Clients and request builders for tests on the shared broker. */
final class KafkaFixture {

    private static final AtomicInteger TX = new AtomicInteger();
    private static final AvroSerde<WorkRequest> REQUESTS = AvroSerde.of(WorkRequest.class);

    private KafkaFixture() {}

    static String bootstrap() {
        return SharedBroker.bootstrapServers();
    }

    /** The contract's topics plus the work topics of these pools. */
    static void createTopics(List<String> pools) {
        TopicSetup.createAll(bootstrap(), pools, (short) 1, Duration.ofSeconds(30));
    }

    static String uniquePool(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Produces work the way the engine does: in transactions, keyed by session id. */
    static final class WorkProducer implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;

        WorkProducer() {
            this(bootstrap());
        }

        WorkProducer(String bootstrapServers) {
            producer = new KafkaProducer<>(
                    Map.of(
                            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            bootstrapServers,
                            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                            "it-work-" + ProcessHandle.current().pid() + "-" + TX.incrementAndGet(),
                            ProducerConfig.LINGER_MS_CONFIG,
                            0),
                    new ByteArraySerializer(),
                    new ByteArraySerializer());
            producer.initTransactions();
        }

        void commit(WorkRequest... requests) {
            send(true, requests);
        }

        void abort(WorkRequest... requests) {
            send(false, requests);
        }

        /** A result as a worker would write it, committed: the answer of an earlier delivery. */
        /** A cancel as the engine writes it, in a transaction of its own. */
        void commitCancel(String sessionId, String... workIds) {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(
                    Topics.CANCELS.name(),
                    sessionId.getBytes(),
                    Topics.CANCELS
                            .valueSerde()
                            .serializer()
                            .serialize(
                                    "",
                                    new io.agentlog.schemas.avro.WorkCancelled(
                                            sessionId,
                                            List.of(workIds),
                                            "cancelled by the test",
                                            java.time.Instant.now()))));
            producer.commitTransaction();
        }

        void commitResult(WorkResult result) {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(
                    Topics.WORK_RESULTS.name(),
                    result.getSessionId().getBytes(),
                    AvroSerde.of(WorkResult.class).encode(result)));
            producer.commitTransaction();
        }

        void commitRaw(String pool, String key, byte[] value) {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(Topics.workTopicName(pool), key.getBytes(), value));
            producer.commitTransaction();
        }

        private void send(boolean commit, WorkRequest... requests) {
            producer.beginTransaction();
            for (WorkRequest request : requests) {
                producer.send(new ProducerRecord<>(
                        Topics.workTopicName(request.getPool()),
                        request.getSessionId().getBytes(),
                        REQUESTS.encode(request)));
            }
            if (commit) {
                producer.commitTransaction();
            } else {
                producer.flush();
                producer.abortTransaction();
            }
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** A read_committed consumer of a whole topic, from its current end. */
    static KafkaConsumer<String, byte[]> tail(String topic) {
        return tail(bootstrap(), topic);
    }

    static KafkaConsumer<String, byte[]> tail(String bootstrapServers, String topic) {
        var consumer = new KafkaConsumer<>(
                Map.<String, Object>of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new ByteArrayDeserializer());
        var partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the lazy seek before anything is produced
        return consumer;
    }

    static WorkResult decodeResult(byte[] value) {
        return AvroSerde.of(WorkResult.class).decode(value);
    }

    static WorkRequest tool(String pool, String workId, String tool, String arguments, ToolSemantics semantics) {
        String session = "session-" + workId;
        return WorkRequest.newBuilder()
                .setWorkId(workId)
                .setSessionId(session)
                .setPool(pool)
                .setRequestedAt(Instant.now())
                .setRequest(ToolInvocation.newBuilder()
                        .setToolCallId("call_0_0")
                        .setTool(tool)
                        .setArguments(arguments)
                        .setSemantics(semantics)
                        .setIdempotencyKey(session + "/" + workId)
                        .setTimeoutMs(30_000)
                        .build())
                .build();
    }

    static WorkRequest scriptedModel(String pool, String workId, int turn, List<ScriptedTurn> script) {
        return WorkRequest.newBuilder()
                .setWorkId(workId)
                .setSessionId("session-" + workId)
                .setPool(pool)
                .setRequestedAt(Instant.now())
                .setRequest(ModelCall.newBuilder()
                        .setModel(new ModelSpec("scripted", "", null, null, Map.of(), "", null))
                        .setMessages(List.of(Message.newBuilder()
                                .setRole(Role.USER)
                                .setContent("Say hello")
                                .build()))
                        .setTurn(turn)
                        .setScript(script)
                        .build())
                .build();
    }

    /** The answer an earlier delivery of a scripted model call wrote: OK, "hello". */
    static WorkResult modelAnswer(WorkRequest request, String workerId) {
        return WorkResult.newBuilder()
                .setWorkId(request.getWorkId())
                .setSessionId(request.getSessionId())
                .setOutcome(WorkOutcome.OK)
                .setResult(ModelReply.newBuilder()
                        .setText("hello")
                        .setToolCalls(List.of())
                        .setFinishReason("stop")
                        .build())
                .setUsage(new Usage(2L, 2L, 0L, 0L))
                .setWorkerId(workerId)
                .setDeliveryCount(1)
                .build();
    }

    /** The claim marker a first delivery of an at-most-once tool call on another worker wrote. */
    static WorkResult claim(WorkRequest request, String workerId) {
        return WorkResult.newBuilder()
                .setWorkId(request.getWorkId())
                .setSessionId(request.getSessionId())
                .setOutcome(WorkOutcome.DELAYED)
                .setResult(WorkProgress.newBuilder()
                        .setReason(ClaimMarkers.REASON_PREFIX + "worker " + workerId + " runs at-most-once tool "
                                + ((ToolInvocation) request.getRequest()).getTool() + " (delivery 1)")
                        .setExpectedBy(Instant.now().plusSeconds(30))
                        .build())
                .setUsage(new Usage(0L, 0L, 0L, 0L))
                .setWorkerId(workerId)
                .setDeliveryCount(1)
                .build();
    }

    static String id(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }
}
