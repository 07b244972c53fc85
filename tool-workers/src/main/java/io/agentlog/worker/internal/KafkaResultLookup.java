package io.agentlog.worker.internal;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.WorkContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@link ResultLookup} on Kafka. Both questions are answered by one scan: the session's partition of
 * {@code agentlog.work.results}, read with {@code read_committed} from the request's {@code requestedAt} (less
 * {@link #CLOCK_SKEW}, found with {@code offsetsForTimes}) up to a bound, looking for a record of the work item:
 *
 * <ul>
 *   <li>{@link #find}: up to the end offset taken when the lookup begins (the partition the Java default partitioner
 *       gives the session id), for a result (any outcome but {@code DELAYED}). A result committed after that end is
 *       not seen; the ledger of the chaos test records that end, so a run can tell a repeated completed call from a
 *       rerun after a lost worker without guessing from times.
 *   <li>{@link #claim}: up to this delivery's own marker, on the partition the marker landed on, for any record (a
 *       claim marker of another delivery is {@code DELAYED}). The partition's order decides: of two deliveries, the
 *       one whose marker is first sees nothing before it and runs; the other sees the first's marker and does not.
 * </ul>
 *
 * <p>Readers are consumers without a group, kept for reuse ({@value #MAX_IDLE_READERS} at most while idle): every
 * at-most-once tool call claims, so creating a consumer per call would cost a connection set-up each time.
 */
public final class KafkaResultLookup implements ResultLookup, AutoCloseable {

    /** Worker and engine clocks may differ: results are read from this long before the request's time. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    static final int MAX_IDLE_READERS = 8;

    private static final AvroSerde<WorkResult> RESULTS = AvroSerde.of(WorkResult.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Map<String, Object> properties;
    private final Producer<byte[], byte[]> producer;
    private final Duration timeout;
    private final Deque<KafkaConsumer<byte[], byte[]>> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    /**
     * @param client the bootstrap servers and client properties of the worker's Kafka clients
     * @param producer writes the claim markers: the worker's results producer ({@code acks=all}, idempotent)
     * @param timeout the most one lookup or claim may take
     */
    public KafkaResultLookup(
            Map<String, Object> client, String clientId, Producer<byte[], byte[]> producer, Duration timeout) {
        Map<String, Object> props = new java.util.HashMap<>(client);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        // workers write results outside transactions, but the engine moves misplaced ones in its transactions
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.properties = Map.copyOf(props);
        this.producer = producer;
        this.timeout = timeout;
    }

    /** A work result as every worker writes it: to {@code agentlog.work.results}, keyed by its session id. */
    static ProducerRecord<byte[], byte[]> record(WorkResult result) {
        return new ProducerRecord<>(Topics.WORK_RESULTS.name(), key(result.getSessionId()), RESULTS.encode(result));
    }

    @Override
    public Lookup find(WorkRequest request) {
        long deadline = System.nanoTime() + timeout.toNanos();
        return withReader(consumer -> {
            String topic = Topics.WORK_RESULTS.name();
            int partitions = consumer.partitionsFor(topic, timeout).size();
            if (partitions == 0) {
                throw new TimeoutException("no partitions of " + topic + " are known");
            }
            var partition = new TopicPartition(topic, SessionIds.partition(request.getSessionId(), partitions));
            consumer.assign(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition); // the LSO: read_committed
            Optional<WorkResult> committed = scan(
                    consumer, partition, request, end, result -> result.getOutcome() != WorkOutcome.DELAYED, deadline);
            return new Lookup(new WorkContext.ResultCheck(partition.partition(), end), committed);
        });
    }

    @Override
    public Claim claim(WorkRequest request, WorkResult marker) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RecordMetadata written = write(marker);
        var partition = new TopicPartition(written.topic(), written.partition());
        return withReader(consumer -> {
            consumer.assign(List.of(partition));
            Optional<WorkResult> earlier =
                    scan(consumer, partition, request, written.offset(), result -> true, deadline);
            return new Claim(new WorkContext.ResultCheck(partition.partition(), written.offset()), earlier);
        });
    }

    private RecordMetadata write(WorkResult marker) {
        try {
            return producer.send(record(marker)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while writing the claim of work " + marker.getWorkId(), e);
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "cannot write the claim of work " + marker.getWorkId() + ": " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TimeoutException("the claim of work " + marker.getWorkId() + " was not acknowledged within "
                    + timeout + " (it may still be written)");
        }
    }

    /**
     * The first record of the request's work item in {@code partition}, below {@code until}, that passes
     * {@code wanted}; read from the request's time less {@link #CLOCK_SKEW}. The consumer is assigned the partition.
     */
    private Optional<WorkResult> scan(
            KafkaConsumer<byte[], byte[]> consumer,
            TopicPartition partition,
            WorkRequest request,
            long until,
            Predicate<WorkResult> wanted,
            long deadline) {
        long from = start(consumer, partition, request, until);
        if (from >= until) {
            return Optional.empty();
        }
        byte[] key = key(request.getSessionId());
        consumer.seek(partition, from);
        while (consumer.position(partition, timeout) < until) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException(
                        "reading " + partition + " from " + from + " to " + until + " took longer than " + timeout);
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                if (record.offset() < until && Arrays.equals(record.key(), key)) {
                    Optional<WorkResult> found = decode(record.value())
                            .filter(result -> result.getWorkId().equals(request.getWorkId()) && wanted.test(result));
                    if (found.isPresent()) {
                        return found;
                    }
                }
            }
        }
        return Optional.empty();
    }

    private long start(
            KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition, WorkRequest request, long until) {
        long requestedAt = request.getRequestedAt().toEpochMilli();
        if (requestedAt <= 0) {
            return consumer.beginningOffsets(List.of(partition), timeout).get(partition);
        }
        long since = Math.max(0, requestedAt - CLOCK_SKEW.toMillis());
        OffsetAndTimestamp first =
                consumer.offsetsForTimes(Map.of(partition, since), timeout).get(partition);
        return first == null ? until : first.offset();
    }

    /** Runs {@code work} on an idle reader or a new one; a reader that failed is closed, not kept. */
    private <T> T withReader(Function<KafkaConsumer<byte[], byte[]>, T> work) {
        KafkaConsumer<byte[], byte[]> consumer = idle.pollFirst();
        if (consumer == null) {
            consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }
        boolean reusable = false;
        try {
            T result = work.apply(consumer);
            reusable = true;
            return result;
        } finally {
            if (reusable && !closed && idle.size() < MAX_IDLE_READERS) {
                idle.offerFirst(consumer);
                if (closed) {
                    closeIdle();
                }
            } else {
                consumer.close(Duration.ZERO);
            }
        }
    }

    private static byte[] key(String sessionId) {
        return sessionId.getBytes(StandardCharsets.UTF_8);
    }

    private static Optional<WorkResult> decode(byte[] value) {
        try {
            return Optional.ofNullable(RESULTS.decode(value));
        } catch (UndecodableRecordException e) {
            return Optional.empty();
        }
    }

    private void closeIdle() {
        KafkaConsumer<byte[], byte[]> consumer;
        while ((consumer = idle.pollFirst()) != null) {
            consumer.close(Duration.ZERO);
        }
    }

    /** Closes the idle readers; readers in use close when their lookup ends. The producer is the caller's. */
    @Override
    public void close() {
        closed = true;
        closeIdle();
    }
}
