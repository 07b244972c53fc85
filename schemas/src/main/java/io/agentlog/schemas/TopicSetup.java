package io.agentlog.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics of {@link Topics} through the Admin API (never by auto-create) and waits until
 * every partition has a leader, since a new partition may have none for a moment and the first
 * sends to it would retry until they time out. Existing topics are left as they are.
 */
public final class TopicSetup {

    private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

    /** The replication factor from which topics need two in-sync replicas per write. */
    static final int REPLICATED = 3;

    private TopicSetup() {}

    /** Creates every topic a stack with these worker pools needs; returns the names it created. */
    public static List<String> createAll(
            String bootstrapServers, List<String> pools, short replicationFactor, Duration timeout) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(props)) {
            return createAll(admin, pools, replicationFactor, timeout);
        }
    }

    public static List<String> createAll(Admin admin, List<String> pools, short replicationFactor, Duration timeout) {
        List<Topic<?, ?>> wanted = Topics.all(pools);
        try {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = wanted.stream()
                    .filter(t -> !existing.contains(t.name()))
                    .map(t -> new NewTopic(t.name(), t.partitions(), replicationFactor)
                            .configs(configs(t, replicationFactor)))
                    .toList();
            List<String> created = new ArrayList<>();
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get();
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            awaitLeaders(admin, wanted, timeout);
            if (!created.isEmpty()) {
                log.info("Created topics {}", created);
            }
            return created;
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "cannot create agentlog topics: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /**
     * A topic's configs for this replication factor: with {@value #REPLICATED} or more replicas, and unless the topic
     * sets its own, also {@code min.insync.replicas=2}, so an {@code acks=all} write is on two brokers before it
     * counts and one broker may be lost whatever the cluster's default says.
     */
    static Map<String, String> configs(Topic<?, ?> topic, short replicationFactor) {
        if (replicationFactor < REPLICATED || topic.configs().containsKey(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG)) {
            return topic.configs();
        }
        Map<String, String> configs = new HashMap<>(topic.configs());
        configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
        return configs;
    }

    /** Waits until every partition of the topics answers ListOffsets, which needs a leader. */
    private static void awaitLeaders(Admin admin, List<Topic<?, ?>> topics, Duration timeout)
            throws InterruptedException {
        Map<TopicPartition, OffsetSpec> request = topics.stream()
                .flatMap(t -> java.util.stream.IntStream.range(0, t.partitions())
                        .mapToObj(p -> new TopicPartition(t.name(), p)))
                .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                admin.listOffsets(request).all().get();
                return;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "topics have no leader after " + timeout + ": "
                                    + e.getCause().getMessage(),
                            e.getCause());
                }
                Thread.sleep(50); // a leader election takes milliseconds; poll with a deadline
            }
        }
    }
}
