package io.agentlog.worker.internal;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.WorkCancelled;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code agentlog.cancels} (every partition, read_committed, no group: every worker needs every cancel) into
 * {@link Cancellations}. It starts a few minutes back, so a worker that starts while an item of a cancelled session
 * is redelivered to it still skips that item.
 */
public final class CancellationWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CancellationWatcher.class);
    static final Duration LOOK_BACK = Duration.ofMinutes(10);
    private static final Duration POLL = Duration.ofSeconds(1);
    private static final Duration TOPIC_RETRY = Duration.ofSeconds(5);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Cancellations cancellations;
    private final Thread thread;
    private volatile boolean closing;
    /** Counted down once the watcher has read up to where the topic ended when it started (or has no topic). */
    private final CountDownLatch caughtUp = new CountDownLatch(1);

    /** @param client the bootstrap servers and client properties of the worker's Kafka clients */
    public CancellationWatcher(Map<String, Object> client, String clientId, Cancellations cancellations) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.cancellations = cancellations;
        this.thread =
                Thread.ofPlatform().name("agentlog-worker-cancels").daemon().unstarted(this::run);
    }

    public CancellationWatcher start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            if (!assign()) {
                return;
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
            while (!closing) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    apply(record);
                }
                if (caughtUp.getCount() > 0
                        && ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error(
                    "Reading {} stopped; running work of ended sessions is no longer stopped early",
                    Topics.CANCELS.name(),
                    e);
        } finally {
            caughtUp.countDown();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Waits until the cancels of the last minutes are known, so a worker that starts does not run an item whose
     * session ended just before; false if that took longer than {@code timeout} (the worker starts anyway).
     */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for the topic (an older cluster may lack it), then starts {@link #LOOK_BACK} back. */
    private boolean assign() throws WakeupException {
        boolean warned = false;
        while (!closing) {
            List<PartitionInfo> partitions = consumer.partitionsFor(Topics.CANCELS.name(), Duration.ofSeconds(10));
            if (partitions != null && !partitions.isEmpty()) {
                List<TopicPartition> all = partitions.stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition()))
                        .toList();
                consumer.assign(all);
                Map<TopicPartition, Long> since = new HashMap<>();
                long from = System.currentTimeMillis() - LOOK_BACK.toMillis();
                all.forEach(p -> since.put(p, from));
                Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(since);
                for (TopicPartition partition : all) {
                    OffsetAndTimestamp at = offsets.get(partition);
                    if (at == null) {
                        consumer.seekToEnd(List.of(partition));
                    } else {
                        consumer.seek(partition, at.offset());
                    }
                }
                return true;
            }
            caughtUp.countDown(); // nothing to catch up with
            if (!warned) {
                log.warn(
                        "Topic {} does not exist yet (agentlog topics create makes it); work of ended sessions runs to"
                                + " its end until it does",
                        Topics.CANCELS.name());
                warned = true;
            }
            try {
                Thread.sleep(TOPIC_RETRY.toMillis()); // another process creates the topic: nothing to wait on here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return;
        }
        try {
            WorkCancelled cancel =
                    Topics.CANCELS.valueSerde().deserializer().deserialize(record.topic(), record.value());
            if (cancel != null) {
                cancellations.apply(cancel);
            }
        } catch (UndecodableRecordException e) {
            log.warn(
                    "Skipping an undecodable record at {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
        }
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
