package io.agentlog.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.testkit.BrokerOptions;
import io.agentlog.testkit.KafkaCluster;
import io.agentlog.worker.ClaimMarkers;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.internal.ShareGroupSetup;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolOutputs;
import io.agentlog.worker.tool.ToolRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers on a 3-broker cluster (testkit {@link KafkaCluster}, replication 3, min ISR 2) when the broker that leads a
 * work partition, and so its share partition, is SIGKILLed while the item is held: Kafka 4.4.0 hands the item to the
 * next consumer as delivery 1 again ({@code KafkaClusterTest#shouldRedeliverAHeldRecordAsAFirstDeliveryWhenTheShareLeaderIsKilled}).
 * One cluster for the class; a test that finds a node dead (the previous test killed it) starts it again first.
 */
class BrokerLossIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static KafkaCluster cluster;
    private static Admin admin;
    private static KafkaFixture.WorkProducer producer;
    private static ResultCollector results;

    @BeforeAll
    static void startCluster() {
        cluster = KafkaCluster.start(
                3, BrokerOptions.builder(dir.resolve("cluster")).build());
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
        TopicSetup.createAll(admin, Topics.DEFAULT_POOLS, (short) 3, TIMEOUT);
        results = new ResultCollector(cluster.bootstrapServers());
        producer = new KafkaFixture.WorkProducer(cluster.bootstrapServers());
    }

    @AfterAll
    static void stopCluster() {
        if (producer != null) {
            producer.close();
        }
        if (results != null) {
            results.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void everyNodeInSync() {
        for (int i = 0; i < cluster.size(); i++) {
            cluster.restart(i); // does nothing to a live node
        }
        cluster.awaitFullyReplicated(TIMEOUT);
    }

    /** An at-most-once tool that counts its runs and, once started, waits until the test lets it finish. */
    private static final class HeldTool implements Tool {
        final AtomicInteger runs = new AtomicInteger();
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public String name() {
            return "charge_card";
        }

        @Override
        public ToolOutput run(ToolInvocation invocation, WorkContext context) {
            runs.incrementAndGet();
            started.countDown();
            try {
                release.await(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ToolOutputs.ok("charged " + context.idempotencyKey());
        }
    }

    /** One lane of one item, so a worker whose item runs takes no other. */
    private static WorkerConfig config(String pool, String workerId) {
        return WorkerConfig.builder()
                .bootstrapServers(cluster.bootstrapServers())
                .pools(List.of(pool))
                .workerId(workerId)
                .maxConcurrency(1)
                .consumersPerPool(1)
                .shutdownGrace(Duration.ofSeconds(5))
                .build();
    }

    private static String newPool(String prefix) throws Exception {
        String pool = KafkaFixture.uniquePool(prefix);
        // one partition, so that every member of the share group is assigned it (with 6, each partition would go to
        // one of two members) and the test knows its leader
        String topic = Topics.workTopicName(pool);
        admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
                .all()
                .get(30, TimeUnit.SECONDS);
        var partition = new TopicPartition(topic, 0);
        Awaitility.await("a leader of " + topic)
                .atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> admin.listOffsets(Map.of(partition, OffsetSpec.latest()))
                                .all()
                                .get(5, TimeUnit.SECONDS)
                        != null);
        ShareGroupSetup.configure(admin, List.of(Topics.shareGroup(pool)), WorkerConfig.DEFAULT_MAX_DELIVERIES);
        // the longest lock the broker allows: a lane renews a third of the way through it, and until then the
        // worker holding the item takes no other records, so the redelivery goes to the other worker
        admin.incrementalAlterConfigs(Map.of(
                        new ConfigResource(ConfigResource.Type.GROUP, Topics.shareGroup(pool)),
                        List.of(new AlterConfigOp(
                                new ConfigEntry("share.record.lock.duration.ms", "60000"), AlterConfigOp.OpType.SET))))
                .all()
                .get(30, TimeUnit.SECONDS);
        return pool;
    }

    /** The broker leading the pool's work partition, which is also its share-partition leader. */
    private static int leaderOf(String pool) throws Exception {
        String topic = Topics.workTopicName(pool);
        return admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .get(topic)
                .partitions()
                .getFirst()
                .leader()
                .id();
    }

    private static int members(String pool) throws Exception {
        return admin.describeShareGroups(List.of(Topics.shareGroup(pool)))
                .describedGroups()
                .get(Topics.shareGroup(pool))
                .get(30, TimeUnit.SECONDS)
                .members()
                .size();
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldRunAnAtMostOnceToolOnceWhenItsShareLeaderDiesWhileAWorkerRunsIt() throws Exception {
        // Given an at-most-once tool call that worker A runs, and an idle worker B of the same pool
        String pool = newPool("amo-loss");
        String work = KafkaFixture.id("charge");
        WorkRequest request = KafkaFixture.tool(pool, work, "charge_card", "{}", ToolSemantics.AT_MOST_ONCE);
        var toolA = new HeldTool();
        var toolB = new HeldTool();
        toolB.release.countDown();
        WorkerConfig configA = config(pool, "worker-a");
        WorkerConfig configB = config(pool, "worker-b");
        try (Worker a =
                Worker.start(configA, ToolRegistry.builtins(configA).with(toolA), ModelProviders.defaults(configA))) {
            producer.commit(request);
            assertThat(toolA.started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            try (Worker b = Worker.start(
                    configB, ToolRegistry.builtins(configB).with(toolB), ModelProviders.defaults(configB))) {
                Awaitility.await("worker B in the group").atMost(TIMEOUT).until(() -> members(pool) == 2);

                // When the work partition's leader is killed while A runs the tool
                cluster.kill(leaderOf(pool) - 1);

                // Then B gets the item as a first delivery, finds A's claim before its own and does not run the tool
                Awaitility.await("worker B's delivery")
                        .atMost(TIMEOUT)
                        .until(() -> b.claimedEarlier() == 1 || toolB.runs.get() > 0);
                assertThat(toolB.runs).hasValue(0);
                assertThat(b.claimedEarlier()).isEqualTo(1);

                // and once A's tool finishes, A's is the call's one answer
                toolA.release.countDown();
                WorkResult answer = results.await(work, TIMEOUT);
                results.pollOnce(Duration.ofSeconds(1));
                assertThat(answer.getOutcome()).isEqualTo(WorkOutcome.OK);
                assertThat(answer.getWorkerId()).isEqualTo("worker-a");
                assertThat(results.received(work)).hasSize(1);
                assertThat(toolA.runs.get() + toolB.runs.get()).isEqualTo(1);
                // both deliveries were first deliveries, and each wrote its claim
                assertThat(results.all(work).stream().filter(ClaimMarkers::isClaim))
                        .extracting(WorkResult::getWorkerId, WorkResult::getDeliveryCount)
                        .containsExactly(
                                org.assertj.core.groups.Tuple.tuple("worker-a", 1),
                                org.assertj.core.groups.Tuple.tuple("worker-b", 1));
            }
        } finally {
            toolA.release.countDown();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldNotCallTheModelAgainWhenItsResultWasCommittedBeforeItsShareLeaderDied() throws Exception {
        // Given a model call held by a consumer of the group whose result was committed, not yet acknowledged
        String pool = newPool("model-loss");
        String work = KafkaFixture.id("answered");
        WorkRequest request = KafkaFixture.scriptedModel(
                pool,
                work,
                0,
                List.of(ScriptedTurn.newBuilder().setText("hello").build()));
        ((ModelCall) request.getRequest())
                .setModel(new ModelSpec("counting", "test-model", null, null, Map.of(), "", null));
        producer.commit(request);
        var model = new CountingModel();
        WorkerConfig config = config(pool, "worker-b");
        try (var holder = holder(pool)) {
            List<ConsumerRecord<byte[], byte[]>> held = new ArrayList<>();
            Awaitility.await("the first delivery").atMost(TIMEOUT).until(() -> {
                holder.poll(Duration.ofMillis(200)).forEach(held::add);
                return !held.isEmpty();
            });
            assertThat(held.getFirst().deliveryCount()).contains((short) 1);
            producer.commitResult(KafkaFixture.modelAnswer(request, "worker-that-held-it"));

            // When the work partition's leader is killed before the item is acknowledged, and a worker serves the pool
            cluster.kill(leaderOf(pool) - 1);
            try (Worker worker = Worker.start(config, ToolRegistry.builtins(config), ModelProviders.of(model))) {

                // Then the worker gets the item as a first delivery, finds the committed result and does not call
                Awaitility.await("the redelivery answered from the committed result")
                        .atMost(TIMEOUT)
                        .until(() -> worker.alreadyAnswered() == 1 || model.calls.get() > 0);
                assertThat(model.calls).hasValue(0);
                assertThat(worker.alreadyAnswered()).isEqualTo(1);
                // the committed result, read once the killed broker's partitions have new leaders (a single short
                // poll found nothing when the results partition's leader was the one killed), then a second for
                // any other answer
                results.await(work, TIMEOUT);
                results.pollOnce(Duration.ofSeconds(1));
                assertThat(results.received(work))
                        .singleElement()
                        .satisfies(r -> assertThat(r.result().getWorkerId()).isEqualTo("worker-that-held-it"));
                assertThat(results.delayed(work)).isEmpty();
            }
        }
    }

    private static KafkaShareConsumer<byte[], byte[]> holder(String pool) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, Topics.shareGroup(pool));
        props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        var consumer = new KafkaShareConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(Topics.workTopicName(pool)));
        return consumer;
    }
}
