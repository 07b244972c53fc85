package io.agentlog.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reading what a stack wrote, as a downstream consumer would: read_committed, from the beginning, by key. */
public final class TopicRecords {

    private TopicRecords() {}

    /** A read_committed consumer of {@code topic} in a group of its own, from the earliest offset. */
    public static <V> KafkaConsumer<String, V> readCommitted(
            String bootstrapServers, String topic, Deserializer<V> values) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "testkit-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values);
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /**
     * Polls until {@code count} records with this key have arrived (more may come in the last poll) or the deadline
     * passes, which fails with what was found.
     */
    public static <V> List<ConsumerRecord<String, V>> await(
            Consumer<String, V> consumer, String key, int count, Duration deadline) {
        List<ConsumerRecord<String, V>> found = new ArrayList<>();
        long end = System.nanoTime() + deadline.toNanos();
        while (found.size() < count) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("expected " + count + " records with key " + key + " within " + deadline
                        + ", found " + found.size() + ": " + found);
            }
            consumer.poll(Duration.ofMillis(100)).forEach(record -> {
                if (key.equals(record.key())) {
                    found.add(record);
                }
            });
        }
        return found;
    }
}
