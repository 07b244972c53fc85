package io.agentlog.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The floor under every agentlog step: one transactional producer writes one record and commits, and a
 * {@code read_committed} consumer waits until it sees it. Every hop of a session (engine to worker, worker to
 * engine) is at least one such round trip, so a step cannot be faster than about two of them.
 *
 * <p>The round trips run one after another on a topic of one partition, created through Admin before and deleted
 * after. A few unmeasured round trips first warm up the connections and the JIT.
 */
public final class TransactionalRoundTrip {

    /** A leader election takes milliseconds; looking for the leader is retried to a deadline. */
    private static final Duration LEADER_PAUSE = Duration.ofMillis(50);

    private static final Logger log = LoggerFactory.getLogger(TransactionalRoundTrip.class);

    public static final String TOPIC = "agentlog.bench.roundtrip";
    public static final int DEFAULT_ROUND_TRIPS = 200;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    static final int WARMUP_ROUND_TRIPS = 20;
    /** Small, so the consumer loop notices a committed record at once; a poll returns early when data arrives. */
    private static final Duration POLL = Duration.ofMillis(5);

    private final String bootstrapServers;
    private final String topic;
    private final Duration timeout;

    public TransactionalRoundTrip(String bootstrapServers) {
        this(bootstrapServers, TOPIC, DEFAULT_TIMEOUT);
    }

    /**
     * @param topic the topic to create, use and delete; it must not be one that anything else uses
     * @param timeout the longest one round trip (or the topic's creation) may take before the measurement fails
     */
    public TransactionalRoundTrip(String bootstrapServers, String topic, Duration timeout) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(
                    "bootstrap servers must be host:port[,host:port...], but was '" + bootstrapServers + "'");
        }
        this.bootstrapServers = bootstrapServers;
        this.topic = Objects.requireNonNull(topic, "topic");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Measures {@code roundTrips} sequential round trips, in milliseconds.
     *
     * @throws BenchException when Kafka does not answer, or a committed record is not seen within the timeout
     */
    public Percentiles measure(int roundTrips) {
        if (roundTrips < 1) {
            throw new IllegalArgumentException("round trips must be at least 1, but was " + roundTrips);
        }
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()))) {
            createTopic(admin);
            try {
                return run(roundTrips);
            } finally {
                deleteTopic(admin);
            }
        }
    }

    private Percentiles run(int roundTrips) {
        TopicPartition partition = new TopicPartition(topic, 0);
        double[] samples = new double[roundTrips];
        try (KafkaProducer<Long, Long> producer = producer();
                KafkaConsumer<Long, Long> consumer = consumer()) {
            producer.initTransactions();
            consumer.assign(List.of(partition));
            consumer.seekToEnd(List.of(partition));
            consumer.position(partition, timeout); // resolve the end now, not inside the first measured round trip
            for (long i = 0; i < WARMUP_ROUND_TRIPS + roundTrips; i++) {
                long start = System.nanoTime();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, 0, i, i));
                producer.commitTransaction();
                awaitRecord(consumer, i, start);
                double millis = (System.nanoTime() - start) / 1_000_000.0;
                if (i >= WARMUP_ROUND_TRIPS) {
                    samples[(int) (i - WARMUP_ROUND_TRIPS)] = millis;
                }
            }
        }
        Percentiles result = Percentiles.of(samples);
        log.info("Transactional round trip on {}: {}", bootstrapServers, result);
        return result;
    }

    private void awaitRecord(KafkaConsumer<Long, Long> consumer, long expected, long startNanos) {
        while (true) {
            for (ConsumerRecord<Long, Long> record : consumer.poll(POLL)) {
                if (record.key() != null && record.key() == expected) {
                    return;
                }
            }
            if (System.nanoTime() - startNanos > timeout.toNanos()) {
                throw new BenchException("a committed record (round trip " + expected + ") on " + topic
                        + " was not visible to a read_committed consumer within " + timeout.toMillis()
                        + " ms; is the broker at " + bootstrapServers + " healthy (transaction state log ready)?");
            }
        }
    }

    private KafkaProducer<Long, Long> producer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ProducerConfig.CLIENT_ID_CONFIG,
                        "agentlog-bench-roundtrip-producer",
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        "agentlog-bench-roundtrip-" + UUID.randomUUID(),
                        // send at once: batching would add its linger to every round trip
                        ProducerConfig.LINGER_MS_CONFIG,
                        0,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        (int) timeout.toMillis()),
                new LongSerializer(),
                new LongSerializer());
    }

    private KafkaConsumer<Long, Long> consumer() {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "agentlog-bench-roundtrip-consumer",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        IsolationLevel.READ_COMMITTED.toString(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        (int) timeout.toMillis()),
                new LongDeserializer(),
                new LongDeserializer());
    }

    /** Creates the topic (one partition, the broker's default replication) and waits until it has a leader. */
    private void createTopic(Admin admin) {
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
                    .all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new BenchException(
                        "cannot create topic " + topic + " on " + bootstrapServers + ": "
                                + e.getCause().getMessage(),
                        e.getCause());
            }
            log.info("Topic {} is left from an earlier run; reusing it", topic);
        } catch (TimeoutException e) {
            throw new BenchException(
                    "Kafka at " + bootstrapServers + " did not create topic " + topic + " within " + timeout.toMillis()
                            + " ms; is it running?",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while creating topic " + topic, e);
        }
        awaitLeader(admin);
    }

    /** A new partition may have no leader for a moment; ListOffsets answers only once it has one. */
    private void awaitLeader(Admin admin) {
        long deadline = System.nanoTime() + timeout.toNanos();
        var request = Map.of(new TopicPartition(topic, 0), OffsetSpec.latest());
        while (true) {
            try {
                admin.listOffsets(request).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException | TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new BenchException(
                            "topic " + topic + " on " + bootstrapServers + " has no leader after " + timeout.toMillis()
                                    + " ms: " + e.getMessage(),
                            e);
                }
                Pause.pause(LEADER_PAUSE, "waiting for a topic leader");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BenchException("interrupted while waiting for a leader of " + topic, e);
            }
        }
    }

    private void deleteTopic(Admin admin) {
        try {
            admin.deleteTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.warn(
                    "Could not delete the bench topic {} on {} (delete it by hand): {}",
                    topic,
                    bootstrapServers,
                    e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Interrupted while deleting the bench topic {}", topic);
        }
    }

    @Override
    public String toString() {
        return "TransactionalRoundTrip[" + bootstrapServers + ", topic " + topic + "]";
    }
}
