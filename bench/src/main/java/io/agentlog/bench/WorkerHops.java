package io.agentlog.bench;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The worker hop alone, with no engine in the path: the benchmark writes a work request as the engine would (one
 * record in a transaction, on the pool's work topic) and times from the moment its commit returns (the request is
 * visible to the pool's share group) until its {@code WorkResult} is visible to a {@code read_committed} consumer of
 * {@code agentlog.work.results}. One request at a time.
 *
 * <p>The requests belong to no session, so an engine running on the same stack drops their results to
 * {@code agentlog.dlq} ("work result for unknown session"); that happens after the measurement of each.
 */
final class WorkerHops implements AutoCloseable {

    static final int WARMUP = 5;
    private static final Duration POLL = Duration.ofMillis(2);

    private final String bootstrap;
    private final Duration timeout;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private int next;

    WorkerHops(String bootstrap, Duration timeout) {
        this.bootstrap = bootstrap;
        this.timeout = timeout;
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "agentlog-bench-hops");
        producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "agentlog-bench-hops-" + runId);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0); // as the engine: send at once
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        this.producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
        producer.initTransactions();
        this.consumer = BenchStack.readCommittedConsumer(bootstrap, "agentlog-bench-hop-results", timeout);
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.WORK_RESULTS.name(), timeout).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(p -> consumer.position(p, timeout));
    }

    /**
     * {@link #WARMUP} unmeasured hops, then {@code samples} measured ones, in milliseconds.
     *
     * @param pool {@code model} (a scripted model call that answers at once) or {@code tools} (the {@code noop} tool)
     * @throws BenchException when a result does not come within the timeout: no worker serves the pool
     */
    Percentiles measure(String pool, int samples) {
        List<Double> millis = new ArrayList<>(samples);
        for (int i = 0; i < WARMUP + samples; i++) {
            double hop = hop(pool);
            if (i >= WARMUP) {
                millis.add(hop);
            }
        }
        return Percentiles.of(millis);
    }

    /** One hop, in milliseconds. */
    double hop(String pool) {
        String sessionId = "bench-hop-" + runId + "-" + next;
        String workId = "hop" + next++;
        WorkRequest request = request(pool, sessionId, workId);
        byte[] value = Topics.work(pool).valueSerde().serializer().serialize(Topics.workTopicName(pool), request);
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(Topics.workTopicName(pool), sessionId, value));
        producer.commitTransaction();
        long visible = System.nanoTime();
        long deadline = visible + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            var records = consumer.poll(POLL);
            long seenAt = System.nanoTime();
            for (ConsumerRecord<String, byte[]> record : records) {
                if (!sessionId.equals(record.key()) || record.value() == null) {
                    continue;
                }
                WorkResult result = decode(record);
                if (result != null && workId.equals(result.getWorkId()) && result.getOutcome() != WorkOutcome.DELAYED) {
                    if (result.getOutcome() != WorkOutcome.OK) {
                        throw new BenchException("the " + pool + " worker answered the bench's work request " + workId
                                + " with " + result.getOutcome() + ": " + result.getError());
                    }
                    return (seenAt - visible) / 1_000_000.0;
                }
            }
        }
        throw new BenchException("no worker of pool '" + pool + "' answered a work request on "
                + Topics.workTopicName(pool) + " at " + bootstrap + " within " + timeout.toSeconds()
                + " s: is a worker serving that pool running?");
    }

    static WorkRequest request(String pool, String sessionId, String workId) {
        Object call = switch (pool) {
            case Topics.MODEL_POOL ->
                ModelCall.newBuilder()
                        .setModel(ModelSpec.newBuilder()
                                .setProvider(ScriptedAgent.SCRIPTED_PROVIDER)
                                .setName("bench")
                                .build())
                        .setMessages(List.of(Message.newBuilder()
                                .setRole(Role.USER)
                                .setContent("agentlog bench: one hop")
                                .build()))
                        .setTurn(0)
                        .setScript(List.of(ScriptedAgent.answering(OneStepAgent.ANSWER)))
                        .build();
            case Topics.TOOLS_POOL ->
                ToolInvocation.newBuilder()
                        .setToolCallId("call_" + workId)
                        .setTool(BuiltinTools.NOOP)
                        .setArguments("{}")
                        .setSemantics(ToolSemantics.IDEMPOTENT)
                        .setIdempotencyKey(sessionId + "/" + workId)
                        .build();
            default ->
                throw new IllegalArgumentException("worker hops are measured on the '" + Topics.MODEL_POOL + "' and '"
                        + Topics.TOOLS_POOL + "' pools, but was '" + pool + "'");
        };
        return WorkRequest.newBuilder()
                .setWorkId(workId)
                .setSessionId(sessionId)
                .setPool(pool)
                .setRequest(call)
                .setRequestedAt(Instant.now())
                .build();
    }

    private static WorkResult decode(ConsumerRecord<String, byte[]> record) {
        try {
            return Topics.WORK_RESULTS.valueSerde().deserializer().deserialize(record.topic(), record.value());
        } catch (UndecodableRecordException e) {
            return null;
        }
    }

    @Override
    public void close() {
        producer.close(timeout);
        consumer.close();
    }
}
