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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Looks for a committed result on {@code agentlog.work.results}: the partition the Java default partitioner gives the
 * session id (workers key results by it), read with {@code read_committed} from the request's {@code requestedAt}
 * (less {@link #CLOCK_SKEW}, found with {@code offsetsForTimes}) up to the end offset taken when the lookup begins.
 * A result committed after that end is not seen; the ledger of the chaos test records that end, so a run can tell a
 * repeated completed call from a rerun after a lost worker without guessing from times.
 *
 * <p>A lookup uses a consumer of its own (no group), created and closed per call: redeliveries are rare.
 */
public final class KafkaResultLookup implements ResultLookup {

    /** Worker and engine clocks may differ: results are read from this long before the request's time. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    private static final AvroSerde<WorkResult> RESULTS = AvroSerde.of(WorkResult.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Map<String, Object> properties;
    private final Duration timeout;

    public KafkaResultLookup(String bootstrapServers, String clientId, Duration timeout) {
        this.properties = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG,
                clientId,
                // results are produced outside transactions today, but a result is only "there" once committed
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false);
        this.timeout = timeout;
    }

    @Override
    public Lookup find(WorkRequest request) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String topic = Topics.WORK_RESULTS.name();
        byte[] key = request.getSessionId().getBytes(StandardCharsets.UTF_8);
        try (var consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            int partitions = consumer.partitionsFor(topic, timeout).size();
            if (partitions == 0) {
                throw new TimeoutException("no partitions of " + topic + " are known");
            }
            var partition = new TopicPartition(topic, SessionIds.partition(request.getSessionId(), partitions));
            consumer.assign(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition); // the LSO: read_committed
            var checked = new WorkContext.ResultCheck(partition.partition(), end);
            long from = start(consumer, partition, request, end);
            if (from >= end) {
                return new Lookup(checked, Optional.empty());
            }
            consumer.seek(partition, from);
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() - deadline > 0) {
                    throw new TimeoutException("reading " + partition + " from " + from + " to " + end + " took longer"
                            + " than " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    if (record.offset() < end && Arrays.equals(record.key(), key)) {
                        Optional<WorkResult> found = decode(record.value())
                                .filter(result -> result.getWorkId().equals(request.getWorkId())
                                        && result.getOutcome() != WorkOutcome.DELAYED);
                        if (found.isPresent()) {
                            return new Lookup(checked, found);
                        }
                    }
                }
            }
            return new Lookup(checked, Optional.empty());
        }
    }

    private long start(
            KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition, WorkRequest request, long end) {
        long requestedAt = request.getRequestedAt().toEpochMilli();
        if (requestedAt <= 0) {
            return consumer.beginningOffsets(List.of(partition), timeout).get(partition);
        }
        long since = Math.max(0, requestedAt - CLOCK_SKEW.toMillis());
        OffsetAndTimestamp first =
                consumer.offsetsForTimes(Map.of(partition, since), timeout).get(partition);
        return first == null ? end : first.offset();
    }

    private static Optional<WorkResult> decode(byte[] value) {
        try {
            return Optional.ofNullable(RESULTS.decode(value));
        } catch (UndecodableRecordException e) {
            return Optional.empty();
        }
    }
}
