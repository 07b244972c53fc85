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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class KafkaClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final String TOPIC = "replicated";
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);
    private static final String SHARE_GROUP = "replicated-workers";

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void shouldKeepTransactionsAndShareGroupsWorkingWhenALeaderIsKilledAndRejoinTheIsrWhenItRestarts(@TempDir Path dir)
            throws Exception {
        // Given a 3-node cluster and a topic created with the broker's default replication
        try (KafkaCluster cluster = KafkaCluster.start(
                        3, BrokerOptions.builder(dir.resolve("cluster")).build());
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
            String bootstrap = cluster.bootstrapServers();
            assertThat(bootstrap.split(",")).hasSize(3);
            admin.createTopics(List.of(new NewTopic(TOPIC, Optional.of(1), Optional.empty())))
                    .all()
                    .get();
            awaitLeader(admin);
            admin.incrementalAlterConfigs(Map.of(
                            new ConfigResource(ConfigResource.Type.GROUP, SHARE_GROUP),
                            List.of(
                                    new AlterConfigOp(
                                            new ConfigEntry("share.auto.offset.reset", "earliest"),
                                            AlterConfigOp.OpType.SET),
                                    new AlterConfigOp(
                                            new ConfigEntry("share.isolation.level", "read_committed"),
                                            AlterConfigOp.OpType.SET))))
                    .all()
                    .get();
            assertThat(describe(admin, TOPIC).partitions().getFirst().replicas())
                    .hasSize(3);
            assertThat(minInSyncReplicas(admin, TOPIC)).isEqualTo("2");

            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(bootstrap));
                    KafkaConsumer<String, String> reader = new KafkaConsumer<>(readCommittedProps(bootstrap));
                    KafkaShareConsumer<String, String> worker = new KafkaShareConsumer<>(shareProps(bootstrap))) {
                producer.initTransactions();
                reader.assign(List.of(PARTITION));
                reader.seekToBeginning(List.of(PARTITION));
                worker.subscribe(List.of(TOPIC));
                List<String> read = new ArrayList<>();
                List<String> worked = new ArrayList<>();
                commitOne(producer, "before");
                awaitRecords(reader, worker, read, worked, List.of("before"));
                int leader =
                        describe(admin, TOPIC).partitions().getFirst().leader().id();

                // When the partition's leader is SIGKILLed
                cluster.kill(leader - 1);

                // Then transactions still commit (acks=all with the 2 replicas left), read_committed readers and the
                // share group see exactly the committed records, and another node leads with 2 in sync
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(TOPIC, "k", "aborted"));
                producer.flush();
                producer.abortTransaction();
                commitOne(producer, "after");
                awaitRecords(reader, worker, read, worked, List.of("before", "after"));
                TopicPartitionInfo partition =
                        describe(admin, TOPIC).partitions().getFirst();
                assertThat(partition.leader().id()).isNotEqualTo(leader);
                assertThat(ids(partition.isr())).hasSize(2).doesNotContain(leader);

                // When the node starts again from its data
                cluster.restart(leader - 1);

                // Then it rejoins the in-sync replicas of every partition, and writes and reads go on
                cluster.awaitFullyReplicated(DEADLINE);
                assertThat(ids(describe(admin, TOPIC).partitions().getFirst().isr()))
                        .containsExactlyInAnyOrder(1, 2, 3);
                commitOne(producer, "rejoined");
                awaitRecords(reader, worker, read, worked, List.of("before", "after", "rejoined"));
            }
            // and the internal topics behind transactions, groups and share groups are replicated like the topic
            for (String internal : List.of("__transaction_state", "__consumer_offsets", "__share_group_state")) {
                assertThat(describe(admin, internal).partitions())
                        .as(internal)
                        .allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
                assertThat(minInSyncReplicas(admin, internal)).as(internal).isEqualTo("2");
            }
        }
    }

    @Test
    void shouldRejectOptionsWhenTheyCannotDescribeACluster(@TempDir Path dir) {
        assertThatThrownBy(() -> KafkaCluster.start(0, BrokerOptions.defaults(dir)))
                .hasMessage("a cluster needs at least 1 node, but size was 0");
        assertThatThrownBy(() -> KafkaCluster.start(
                        3, BrokerOptions.builder(dir).port(9092).build()))
                .hasMessage("the nodes of a cluster get free ports of their own, but the template asks for port 9092 "
                        + "and controller port 0");
        assertThatThrownBy(() -> KafkaCluster.start(
                        3, BrokerOptions.builder(dir).detached(true).build()))
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

    private static void commitOne(KafkaProducer<String, String> producer, String value) {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(TOPIC, "k", value));
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

    private static void awaitLeader(Admin admin) {
        await().atMost(DEADLINE)
                .ignoreExceptions()
                .until(() -> admin.listOffsets(Map.of(PARTITION, OffsetSpec.latest()))
                                .all()
                                .get()
                        != null);
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    }

    private static String minInSyncReplicas(Admin admin, String topic) throws Exception {
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

    private static Properties producerProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "cluster-test");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return props;
    }

    private static Properties readCommittedProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return props;
    }

    private static Properties shareProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, SHARE_GROUP);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put("share.acknowledgement.mode", "explicit");
        return props;
    }
}
