package io.agentlog.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaBrokerTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private static String bootstrap;

    @BeforeAll
    static void startBroker() {
        bootstrap = SharedBroker.bootstrapServers();
    }

    @Test
    void shouldDeliverOnlyCommittedRecordsWhenProducingTransactionally() throws Exception {
        // Given
        String topic = createTopic("tx-" + UUID.randomUUID());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps("tx-" + UUID.randomUUID()));
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(readCommittedConsumerProps())) {
            producer.initTransactions();

            // When
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed"));
            producer.commitTransaction();

            // Then
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
            List<String> values = new ArrayList<>();
            await().atMost(DEADLINE).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                assertThat(values).containsExactly("committed");
            });
        }
    }

    @Test
    void shouldDeliverRecordToShareConsumerWhenGroupStartsAtEarliest() throws Exception {
        // Given
        String topic = createTopic("share-" + UUID.randomUUID());
        String group = "share-group-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.incrementalAlterConfigs(Map.of(
                            new ConfigResource(ConfigResource.Type.GROUP, group),
                            List.of(new AlterConfigOp(
                                    new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET))))
                    .all()
                    .get();
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(null))) {
            producer.send(new ProducerRecord<>(topic, "k", "work")).get();
        }

        // When
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put("share.acknowledgement.mode", "explicit");
        try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            List<String> received = new ArrayList<>();

            // Then
            await().atMost(DEADLINE).untilAsserted(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    received.add(record.value());
                    consumer.acknowledge(record, AcknowledgeType.ACCEPT);
                }
                assertThat(received).containsExactly("work");
            });
            consumer.commitSync();
        }
    }

    @Test
    void shouldReportBrokerAsAliveWhenStarted() {
        // Given
        KafkaBroker broker = SharedBroker.broker();

        // Then
        assertThat(broker.isAlive()).isTrue();
        assertThat(broker.pid()).isPositive();
        assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + broker.port());
        assertThat(broker.dataDir().resolve("server.properties")).exists();
    }

    @Test
    void shouldFailWithLogTailWhenConfigIsInvalid(@TempDir Path dir) {
        // Given
        BrokerOptions options = BrokerOptions.builder(dir.resolve("bad"))
                .override("num.partitions", "not-a-number")
                .startTimeoutMs(20_000)
                .build();

        // When / Then
        assertThatThrownBy(() -> KafkaBroker.start(options))
                .isInstanceOf(BrokerStartException.class)
                .hasMessageContaining("not-a-number");
    }

    @Test
    void shouldRejectOptionsWhenValuesAreOutOfRange(@TempDir Path dir) {
        assertThatThrownBy(() -> BrokerOptions.builder(dir).port(70000).build())
                .hasMessage("port must be between 0 and 65535, but was 70000");
        assertThatThrownBy(() -> BrokerOptions.builder(dir).heap("lots").build())
                .hasMessage("heap must look like 512m or 1g, but was 'lots'");
    }

    private static String createTopic(String name) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get();
            await().atMost(DEADLINE)
                    .ignoreExceptions()
                    .until(() -> admin.listOffsets(Map.of(new TopicPartition(name, 0), OffsetSpec.latest()))
                                    .all()
                                    .get()
                            != null);
        }
        return name;
    }

    private static Properties producerProps(String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        if (transactionalId != null) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return props;
    }

    private static Properties readCommittedConsumerProps() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return props;
    }
}
