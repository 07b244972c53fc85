package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What every benchmark does to the stack it measures before it runs sessions, only through the contract's topics and
 * Admin: check that the topics are there, find a fresh version of its agent and register it.
 */
final class BenchStack {

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private BenchStack() {}

    /**
     * A producer that writes as a client or a worker does: idempotent, {@code acks=all}, and at once rather than in
     * batches ({@code linger.ms=0}: each record has a session waiting on it).
     */
    static KafkaProducer<String, byte[]> producer(String bootstrap, String clientId, Duration maxBlock) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) maxBlock.toMillis());
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * A consumer of committed records only (the engine writes in transactions: an aborted one must not count), with
     * no group: the caller assigns partitions.
     */
    static KafkaConsumer<String, byte[]> readCommittedConsumer(String bootstrap, String clientId, Duration timeout) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** An Admin client whose calls give up after {@link #REQUEST_TIMEOUT}. */
    static Admin admin(String bootstrap) {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis()));
    }

    /** The value of an Admin call, or a {@link BenchException} that says what could not be done on which stack. */
    static <T> T await(KafkaFuture<T> future, String what, String bootstrap) {
        try {
            return future.get(REQUEST_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new BenchException(
                    "cannot " + what + " on " + bootstrap + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new BenchException(
                    "cannot " + what + " on " + bootstrap + " within " + REQUEST_TIMEOUT.toSeconds()
                            + " s: is Kafka running there? (`./agentlog up` starts a local stack)",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while trying to " + what + " on " + bootstrap, e);
        }
    }

    /**
     * Checks the stack's topics and registers a fresh version of a benchmark's agent; returns that version.
     *
     * @param definition the agent's definition at a version
     */
    static int registerFreshAgent(String bootstrap, String agent, IntFunction<AgentDefinition> definition) {
        requireTopics(bootstrap);
        int version = nextVersion(bootstrap, agent);
        register(bootstrap, definition.apply(version));
        return version;
    }

    /** Fails with what to start or create when a topic the sessions of a benchmark need is missing. */
    static void requireTopics(String bootstrap) {
        List<String> needed = List.of(
                Topics.TASKS.name(),
                Topics.EVENTS.name(),
                Topics.RESULTS.name(),
                Topics.AGENTS.name(),
                Topics.workTopicName(Topics.MODEL_POOL),
                Topics.workTopicName(Topics.TOOLS_POOL));
        Set<String> existing;
        try (Admin admin = admin(bootstrap)) {
            existing = await(admin.listTopics().names(), "list the topics", bootstrap);
        }
        List<String> missing =
                needed.stream().filter(t -> !existing.contains(t)).toList();
        if (!missing.isEmpty()) {
            throw new BenchException("topics " + missing + " do not exist on " + bootstrap
                    + ": start the stack (`./agentlog up`) or create them (`agentlog topics create`)");
        }
    }

    /** One more than the highest version of {@code agent} on the agents topic, so every run pins a new one. */
    static int nextVersion(String bootstrap, String agent) {
        int highest = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "agentlog-bench-agents",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        (int) REQUEST_TIMEOUT.toMillis()),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.AGENTS.name(), REQUEST_TIMEOUT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, REQUEST_TIMEOUT);
            long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos();
            String prefix = agent + "@";
            while (partitions.stream().anyMatch(p -> consumer.position(p, REQUEST_TIMEOUT) < end.get(p))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new BenchException("cannot read " + Topics.AGENTS.name() + " on " + bootstrap
                            + " to its end within " + REQUEST_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.key() != null && record.key().startsWith(prefix)) {
                        highest = Math.max(highest, parseVersion(record.key().substring(prefix.length())));
                    }
                }
            }
        }
        return highest + 1;
    }

    private static int parseVersion(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return 0; // not a key this benchmark wrote
        }
    }

    /** Writes the definition to the agents topic under {@code name@version}. */
    static void register(String bootstrap, AgentDefinition definition) {
        String key = Topics.agentKey(definition.getName(), definition.getVersion());
        byte[] value = Topics.AGENTS.valueSerde().serializer().serialize(Topics.AGENTS.name(), definition);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.CLIENT_ID_CONFIG,
                        "agentlog-bench-agents",
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        (int) REQUEST_TIMEOUT.toMillis()),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.AGENTS.name(), key, value))
                    .get(REQUEST_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new BenchException(
                    "cannot register " + key + " on " + Topics.AGENTS.name() + " at " + bootstrap + ": "
                            + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while registering " + key, e);
        }
    }
}
