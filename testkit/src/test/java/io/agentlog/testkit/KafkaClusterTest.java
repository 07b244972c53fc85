package io.agentlog.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One 3-node cluster for the class (it takes ~10 s to start). A test that kills a node starts it again and waits until
 * the cluster is fully replicated before it ends, so the next test finds every node in sync.
 */
class KafkaClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    private static KafkaCluster cluster;
    private static Admin admin;

    @BeforeAll
    static void startCluster() {
        cluster = KafkaCluster.start(
                3, BrokerOptions.builder(dir.resolve("cluster")).build());
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
    }

    @AfterAll
    static void stopCluster() {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldKeepTransactionsAndShareGroupsWorkingWhenALeaderIsKilledAndRejoinTheIsrWhenItRestarts()
            throws Exception {
        // Given a topic with the cluster's default replication, a transactional producer, a read_committed reader and
        // a share group that reads committed records
        assertThat(cluster.bootstrapServers().split(",")).hasSize(3);
        String topic = "replicated";
        TopicPartition partition = createTopic(topic);
        String group = shareGroup("replicated-workers");
        assertThat(describe(topic).partitions().getFirst().replicas()).hasSize(3);
        assertThat(minInSyncReplicas(topic)).isEqualTo("2");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps());
                KafkaConsumer<String, String> reader = new KafkaConsumer<>(readCommittedProps());
                KafkaShareConsumer<String, String> worker = new KafkaShareConsumer<>(shareProps(group))) {
            producer.initTransactions();
            reader.assign(List.of(partition));
            reader.seekToBeginning(List.of(partition));
            worker.subscribe(List.of(topic));
            List<String> read = new ArrayList<>();
            List<String> worked = new ArrayList<>();
            commitOne(producer, topic, "before");
            awaitRecords(reader, worker, read, worked, List.of("before"));
            int leader = describe(topic).partitions().getFirst().leader().id();

            // When the partition's leader is SIGKILLed
            cluster.kill(leader - 1);

            // Then transactions still commit (acks=all with the 2 replicas left), the read_committed reader and the
            // share group see exactly the committed records, and another node leads with 2 in sync
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
            commitOne(producer, topic, "after");
            awaitRecords(reader, worker, read, worked, List.of("before", "after"));
            TopicPartitionInfo info = describe(topic).partitions().getFirst();
            assertThat(info.leader().id()).isNotEqualTo(leader);
            assertThat(ids(info.isr())).hasSize(2).doesNotContain(leader);

            // When the node starts again from its data
            cluster.restart(leader - 1);

            // Then it rejoins the in-sync replicas of every partition, and writes and reads go on
            cluster.awaitFullyReplicated(DEADLINE);
            assertThat(ids(describe(topic).partitions().getFirst().isr())).containsExactlyInAnyOrder(1, 2, 3);
            commitOne(producer, topic, "rejoined");
            awaitRecords(reader, worker, read, worked, List.of("before", "after", "rejoined"));
        } finally {
            restartDeadNodes();
        }
        // and the internal topics behind transactions, groups and share groups are replicated like the topic
        List<String> internal = List.of("__transaction_state", "__consumer_offsets", "__share_group_state");
        assertThat(cluster.replicationFactors())
                .containsKeys(internal.toArray(String[]::new))
                .allSatisfy((name, replicas) -> assertThat(replicas).as(name).isEqualTo(3));
        for (String name : internal) {
            assertThat(minInSyncReplicas(name)).as(name).isEqualTo("2");
        }
    }

    /**
     * Kafka 4.4.0 persists a share-group record's delivery count when the record is acknowledged, released or its lock
     * expires, not when it is acquired. So a record that a live consumer holds when the share-partition leader's broker
     * dies comes back from the new leader as a first delivery again, and a worker cannot tell that redelivery by its
     * delivery count. docs/guarantees.md ("Losing a broker") says what that means for agentlog.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldRedeliverAHeldRecordAsAFirstDeliveryWhenTheShareLeaderIsKilled() throws Exception {
        // Given a record acquired by a live share consumer and not acknowledged
        String topic = "held";
        createTopic(topic);
        String group = shareGroup("held-workers");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps())) {
            producer.initTransactions();
            commitOne(producer, topic, "work");
        }
        try (KafkaShareConsumer<String, String> holder = new KafkaShareConsumer<>(shareProps(group));
                KafkaShareConsumer<String, String> other = new KafkaShareConsumer<>(shareProps(group))) {
            holder.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> held = new ArrayList<>();
            await().atMost(DEADLINE).until(() -> {
                holder.poll(Duration.ofMillis(200)).forEach(held::add);
                return !held.isEmpty();
            });
            assertThat(held.getFirst().deliveryCount()).contains((short) 1);
            int leader = describe(topic).partitions().getFirst().leader().id();

            // When the partition's leader, which is the share-partition leader, is SIGKILLed while the record is held
            cluster.kill(leader - 1);

            // Then another consumer gets the record from the new leader, counted as its first delivery again
            other.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> redelivered = new ArrayList<>();
            await().atMost(DEADLINE).until(() -> {
                for (ConsumerRecord<String, String> record : other.poll(Duration.ofMillis(200))) {
                    redelivered.add(record);
                    other.acknowledge(record, AcknowledgeType.ACCEPT);
                }
                other.commitAsync();
                return !redelivered.isEmpty();
            });
            assertThat(redelivered.getFirst().value()).isEqualTo("work");
            assertThat(redelivered.getFirst().deliveryCount()).contains((short) 1);
        } finally {
            restartDeadNodes();
        }
    }

    @Test
    void shouldRejectOptionsWhenTheyCannotDescribeACluster(@TempDir Path nodes) {
        assertThatThrownBy(() -> KafkaCluster.start(0, BrokerOptions.defaults(nodes)))
                .hasMessage("a cluster needs at least 1 node, but size was 0");
        assertThatThrownBy(() -> KafkaCluster.start(
                        3, BrokerOptions.builder(nodes).port(9092).build()))
                .hasMessage("the nodes of a cluster get free ports of their own, but the template asks for port 9092 "
                        + "and controller port 0");
        assertThatThrownBy(() -> KafkaCluster.start(
                        3, BrokerOptions.builder(nodes).detached(true).build()))
                .hasMessage("a cluster runs attached to this JVM, but the template is detached");
    }

    @Test
    void shouldReplicateThreeTimesWithTwoInSyncWhenTheClusterHasThreeNodesOrMore() {
        assertThat(KafkaCluster.replicationFactor(1)).isEqualTo(1);
        assertThat(KafkaCluster.minInSyncReplicas(1)).isEqualTo(1);
        assertThat(KafkaCluster.replicationFactor(2)).isEqualTo(2);
        assertThat(KafkaCluster.minInSyncReplicas(2)).isEqualTo(1);
        assertThat(KafkaCluster.replicationFactor(5)).isEqualTo(3);
        assertThat(KafkaCluster.minInSyncReplicas(5)).isEqualTo(2);
        assertThat(KafkaCluster.nodeConfig(2, "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3", 3))
                .containsEntry("node.id", "2")
                .containsEntry("default.replication.factor", "3")
                .containsEntry("min.insync.replicas", "2")
                .containsEntry("transaction.state.log.min.isr", "2")
                .containsEntry("share.coordinator.state.topic.min.isr", "2");
    }

    private static void restartDeadNodes() {
        for (int i = 0; i < cluster.size(); i++) {
            cluster.restart(i); // does nothing to a live node
        }
        cluster.awaitFullyReplicated(DEADLINE);
    }

    private static void commitOne(KafkaProducer<String, String> producer, String topic, String value) {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, "k", value));
        producer.commitTransaction();
    }

    /** Reads on with both consumers until each has seen exactly {@code expected}, in order. */
    private static void awaitRecords(
            KafkaConsumer<String, String> reader,
            KafkaShareConsumer<String, String> worker,
            List<String> read,
            List<String> worked,
            List<String> expected) {
        await().atMost(DEADLINE).untilAsserted(() -> {
            reader.poll(Duration.ofMillis(100)).forEach(r -> read.add(r.value()));
            for (ConsumerRecord<String, String> record : worker.poll(Duration.ofMillis(100))) {
                if (!worked.contains(record.value())) {
                    worked.add(record.value()); // a redelivery after the leader moved is no new record
                }
                worker.acknowledge(record, AcknowledgeType.ACCEPT);
            }
            worker.commitAsync();
            assertThat(read).containsExactlyElementsOf(expected);
            assertThat(worked).containsExactlyElementsOf(expected);
        });
    }

    /** One partition, the cluster's default replication; returns once the partition has a leader. */
    private static TopicPartition createTopic(String topic) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
                .all()
                .get();
        TopicPartition partition = new TopicPartition(topic, 0);
        await().atMost(DEADLINE)
                .ignoreExceptions()
                .until(() -> admin.listOffsets(Map.of(partition, OffsetSpec.latest()))
                                .all()
                                .get()
                        != null);
        return partition;
    }

    /** A share group that starts at the earliest record and reads committed records only, as agentlog's workers. */
    private static String shareGroup(String group) throws Exception {
        admin.incrementalAlterConfigs(Map.of(
                        new ConfigResource(ConfigResource.Type.GROUP, group),
                        List.of(
                                new AlterConfigOp(
                                        new ConfigEntry("share.auto.offset.reset", "earliest"),
                                        AlterConfigOp.OpType.SET),
                                new AlterConfigOp(
                                        new ConfigEntry("share.isolation.level", "read_committed"),
                                        AlterConfigOp.OpType.SET))))
                .all()
                .get();
        return group;
    }

    private static TopicDescription describe(String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    }

    private static String minInSyncReplicas(String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(resource))
                .all()
                .get()
                .get(resource)
                .get("min.insync.replicas")
                .value();
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    private static Properties producerProps() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "cluster-test-" + UUID.randomUUID());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return props;
    }

    private static Properties readCommittedProps() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return props;
    }

    private static Properties shareProps(String group) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put("share.acknowledgement.mode", "explicit");
        return props;
    }
}
