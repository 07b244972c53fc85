package io.agentlog.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkProgress;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.testkit.ChatCompletionsServer;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.internal.ShareGroupSetup;
import io.agentlog.worker.model.Credential;
import io.agentlog.worker.model.ModelEndpoint;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.model.OpenAiModelProvider;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolOutputs;
import io.agentlog.worker.tool.ToolRegistry;
import java.net.URI;
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
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Redelivery, lock renewal and shutdown, each on a pool of its own so no other worker takes its work. */
class WorkerRedeliveryIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static KafkaFixture.WorkProducer producer;
    private static ResultCollector results;

    @BeforeAll
    static void start() {
        KafkaFixture.createTopics(Topics.DEFAULT_POOLS);
        results = new ResultCollector();
        producer = new KafkaFixture.WorkProducer();
    }

    @AfterAll
    static void stop() {
        producer.close();
        results.close();
    }

    private static WorkerConfig config(String pool) {
        return WorkerConfig.builder()
                .bootstrapServers(KafkaFixture.bootstrap())
                .pools(List.of(pool))
                .workerId("it-" + pool)
                .retryBackoff(Duration.ofMillis(50))
                .shutdownGrace(Duration.ofSeconds(20))
                .build();
    }

    /** A tool that counts its runs and does what the test says. */
    private static final class ScriptedTool implements Tool {
        final String name;
        final AtomicInteger runs = new AtomicInteger();
        final CountDownLatch started = new CountDownLatch(1);
        final java.util.function.IntFunction<ToolOutput> behaviour;

        ScriptedTool(String name, java.util.function.IntFunction<ToolOutput> behaviour) {
            this.name = name;
            this.behaviour = behaviour;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public ToolOutput run(ToolInvocation invocation, WorkContext context) {
            started.countDown();
            return behaviour.apply(runs.incrementAndGet());
        }
    }

    private static Worker start(WorkerConfig config, Tool tool) {
        return Worker.start(config, ToolRegistry.builtins(config).with(tool), ModelProviders.defaults(config));
    }

    @Test
    void shouldAnswerOutcomeUnknownWhenAnAtMostOnceToolIsDeliveredAgain() throws Exception {
        // Given a delivery that ended without an answer: a consumer of the group took the item and released it
        String pool = KafkaFixture.uniquePool("amo");
        KafkaFixture.createTopics(List.of(pool));
        var tool = new ScriptedTool("charge_card", run -> ToolOutputs.ok("charged"));
        String work = KafkaFixture.id("charge");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaFixture.bootstrap()))) {
            ShareGroupSetup.configure(admin, List.of(Topics.shareGroup(pool)), WorkerConfig.DEFAULT_MAX_DELIVERIES);
        }
        producer.commit(KafkaFixture.tool(pool, work, "charge_card", "{}", ToolSemantics.AT_MOST_ONCE));
        takeAndRelease(pool);

        // When a worker gets its second delivery
        try (Worker worker = start(config(pool), tool)) {

            // Then it does not run the tool again
            WorkResult result = results.await(work, TIMEOUT);
            assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OUTCOME_UNKNOWN);
            assertThat(result.getDeliveryCount()).isEqualTo(2);
            assertThat(result.getError()).contains("at-most-once").contains("session-" + work + "/" + work);
            assertThat(tool.runs).hasValue(0);
            assertThat(worker.isRunning()).isTrue();
        }
    }

    @Test
    void shouldNeitherRunNorAnswerWhenAnotherDeliveryClaimedAnAtMostOnceCallFirst() throws Exception {
        // Given an at-most-once tool call whose claim by another delivery is on the session's results partition (that
        // delivery's share-partition leader died, so this one comes as delivery 1 again)
        String pool = KafkaFixture.uniquePool("claimed");
        KafkaFixture.createTopics(List.of(pool));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaFixture.bootstrap()))) {
            ShareGroupSetup.configure(admin, List.of(Topics.shareGroup(pool)), WorkerConfig.DEFAULT_MAX_DELIVERIES);
        }
        var tool = new ScriptedTool("charge_card", run -> ToolOutputs.ok("charged"));
        String work = KafkaFixture.id("claimed");
        WorkRequest request = KafkaFixture.tool(pool, work, "charge_card", "{}", ToolSemantics.AT_MOST_ONCE);
        producer.commitResult(KafkaFixture.claim(request, "worker-that-held-it"));
        producer.commit(request);

        // When a worker gets the item's first delivery
        try (Worker worker = start(config(pool), tool)) {

            // Then it claims, finds the earlier claim before its own, and acknowledges without running or answering
            Awaitility.await("the delivery left to the earlier claim")
                    .atMost(TIMEOUT)
                    .until(() -> worker.claimedEarlier() == 1);
            Awaitility.await("the acknowledgement").atMost(TIMEOUT).until(() -> unacknowledged(pool, request) == 0);
            results.pollOnce(Duration.ofMillis(500));
            assertThat(tool.runs).hasValue(0);
            assertThat(results.received(work)).isEmpty();
            assertThat(results.delayed(work))
                    .extracting(WorkResult::getWorkerId)
                    .containsExactly("worker-that-held-it", "it-" + pool);
        }
    }

    @Test
    void shouldRejectToTheDlqAndAnswerErrorWithoutRunningWhenTheLastDeliveryComes() throws Exception {
        // Given 2 deliveries allowed, and a first delivery that ended without an answer (as if its worker crashed)
        String pool = KafkaFixture.uniquePool("poison");
        KafkaFixture.createTopics(List.of(pool));
        var tool = new ScriptedTool("crashy", run -> ToolOutputs.ok("ran"));
        String work = KafkaFixture.id("poison");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaFixture.bootstrap()))) {
            ShareGroupSetup.configure(admin, List.of(Topics.shareGroup(pool)), WorkerConfig.DEFAULT_MAX_DELIVERIES);
        }
        try (var dlq = KafkaFixture.tail(Topics.DLQ.name())) {
            producer.commit(KafkaFixture.tool(pool, work, "crashy", "{}", ToolSemantics.IDEMPOTENT));
            takeAndRelease(pool);

            // When a worker gets the last delivery
            WorkerConfig config = WorkerConfig.builder()
                    .bootstrapServers(KafkaFixture.bootstrap())
                    .pools(List.of(pool))
                    .workerId("it-" + pool)
                    .maxDeliveries(2)
                    .shutdownGrace(Duration.ofSeconds(20))
                    .build();
            try (Worker worker = start(config, tool)) {

                // Then the session gets an error result, the tool did not run, and the record is in the DLQ
                WorkResult result = results.await(work, TIMEOUT);
                assertThat(result.getOutcome()).isEqualTo(WorkOutcome.ERROR);
                assertThat(result.getDeliveryCount()).isEqualTo(2);
                assertThat(result.getError())
                        .contains("delivery 2 of at most 2")
                        .contains("not run again");
                assertThat(tool.runs).hasValue(0);
                List<ConsumerRecord<String, byte[]>> dead = new ArrayList<>();
                Awaitility.await("the DLQ record").atMost(TIMEOUT).until(() -> {
                    dlq.poll(Duration.ofMillis(200)).forEach(r -> {
                        if (Topics.workTopicName(pool).equals(DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_TOPIC))) {
                            dead.add(r);
                        }
                    });
                    return !dead.isEmpty();
                });
                assertThat(dead).hasSize(1);
                assertThat(DlqHeaders.get(dead.getFirst().headers(), DlqHeaders.REASON))
                        .isEqualTo(result.getError());
                assertThat(AvroSerde.of(WorkRequest.class)
                                .decode(dead.getFirst().value())
                                .getWorkId())
                        .isEqualTo(work);
                assertThat(worker.isRunning()).isTrue();
            }
        }
    }

    /** Acquires the pool's one record with a plain share consumer, releases it and leaves. */
    private static void takeAndRelease(String pool) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, Topics.shareGroup(pool));
        props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        try (var consumer = new KafkaShareConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.workTopicName(pool)));
            List<ConsumerRecord<byte[], byte[]>> taken = new ArrayList<>();
            Awaitility.await("first delivery").atMost(TIMEOUT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(taken::add);
                return !taken.isEmpty();
            });
            assertThat(taken.getFirst().deliveryCount()).contains((short) 1);
            taken.forEach(r -> consumer.acknowledge(r, AcknowledgeType.RELEASE));
            consumer.commitSync();
        }
    }

    @Test
    void shouldReleaseAndRunAgainWhenAToolFailsTransiently() {
        // Given a tool that fails transiently the first time
        String pool = KafkaFixture.uniquePool("flaky");
        KafkaFixture.createTopics(List.of(pool));
        var tool = new ScriptedTool("flaky_api", run -> {
            if (run == 1) {
                throw new RetryableWorkException("503 from the backend");
            }
            return ToolOutputs.ok("worked on run " + run);
        });
        String work = KafkaFixture.id("flaky");

        try (Worker worker = start(config(pool), tool)) {
            // When
            producer.commit(KafkaFixture.tool(pool, work, "flaky_api", "{}", ToolSemantics.IDEMPOTENT));

            // Then
            WorkResult result = results.await(work, TIMEOUT);
            assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
            assertThat(((ToolOutput) result.getResult()).getContent()).isEqualTo("worked on run 2");
            assertThat(result.getDeliveryCount()).isEqualTo(2);
            assertThat(results.received(work)).hasSize(1);
            assertThat(worker.isRunning()).isTrue();
        }
    }

    @Test
    void shouldKeepTheLockAndServeOtherItemsWhenAnItemRunsLongerThanTheLockDuration() throws Exception {
        // Given a group whose locks last 15 s (the minimum) and a tool that takes 20 s
        String pool = KafkaFixture.uniquePool("long");
        KafkaFixture.createTopics(List.of(pool));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaFixture.bootstrap()))) {
            admin.incrementalAlterConfigs(Map.of(
                            new ConfigResource(ConfigResource.Type.GROUP, Topics.shareGroup(pool)),
                            List.of(new AlterConfigOp(
                                    new ConfigEntry("share.record.lock.duration.ms", "15000"),
                                    AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        var slow = new ScriptedTool("slow_report", run -> {
            try {
                Thread.sleep(20_000); // the tool's own work: longer than the lock
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ToolOutputs.ok("report " + run);
        });
        String slowWork = KafkaFixture.id("slow");
        String quickWork = KafkaFixture.id("quick");

        try (Worker worker = start(config(pool), slow)) {
            // When
            producer.commit(KafkaFixture.tool(pool, slowWork, "slow_report", "{}", ToolSemantics.AT_MOST_ONCE));
            assertThat(slow.started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            producer.commit(KafkaFixture.tool(pool, quickWork, "noop", "{}", ToolSemantics.IDEMPOTENT));

            // Then the quick item does not wait for the slow one
            results.await(quickWork, Duration.ofSeconds(10));
            assertThat(results.received(slowWork)).isEmpty();

            // and the slow one is answered once, on its first delivery, with its lock kept throughout
            WorkResult result = results.await(slowWork, TIMEOUT);
            assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
            assertThat(result.getDeliveryCount()).isEqualTo(1);
            assertThat(result.getDurationMs()).isGreaterThanOrEqualTo(20_000);
            assertThat(slow.runs).hasValue(1);
            assertThat(worker.lostLocks()).isZero();
        }
        results.pollOnce(Duration.ofMillis(500));
        assertThat(results.received(slowWork)).hasSize(1);
    }

    @Test
    void shouldStopARunningItemAndSkipAWaitingOneWhenTheirSessionNoLongerWaits() throws Exception {
        // Given a worker running a tool that would take a minute
        String pool = KafkaFixture.uniquePool("cancel");
        KafkaFixture.createTopics(List.of(pool));
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        var slow = new ScriptedTool("slow_job", run -> {
            try {
                new CountDownLatch(1).await(1, TimeUnit.MINUTES); // the tool's own work: a minute unless interrupted
            } catch (InterruptedException e) {
                interrupted.set(true);
                Thread.currentThread().interrupt();
            }
            return ToolOutputs.ok("finished anyway");
        });
        String running = KafkaFixture.id("running");
        WorkRequest runningRequest = KafkaFixture.tool(pool, running, "slow_job", "{}", ToolSemantics.IDEMPOTENT);
        try (Worker worker = start(config(pool), slow)) {
            producer.commit(runningRequest);
            assertThat(slow.started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();

            // When the engine says its session no longer waits for it
            producer.commitCancel(runningRequest.getSessionId(), runningRequest.getWorkId());

            // Then the tool is interrupted, the item acknowledged without a result, and not delivered again
            Awaitility.await("the tool interrupted").atMost(TIMEOUT).untilTrue(interrupted);
            Awaitility.await("the acknowledgement")
                    .atMost(TIMEOUT)
                    .until(() -> unacknowledged(pool, runningRequest) == 0);
            results.pollOnce(Duration.ofMillis(500));
            assertThat(results.received(running)).isEmpty();
            assertThat(slow.runs).hasValue(1);

            // and an item of a cancelled session that comes later is skipped without running
            String later = KafkaFixture.id("later");
            WorkRequest laterRequest = KafkaFixture.tool(pool, later, "slow_job", "{}", ToolSemantics.IDEMPOTENT);
            producer.commitCancel(laterRequest.getSessionId(), laterRequest.getWorkId());
            producer.commit(laterRequest);
            Awaitility.await("the skipped item acknowledged")
                    .atMost(TIMEOUT)
                    .until(() -> unacknowledged(pool, laterRequest) == 0);
            assertThat(slow.runs).hasValue(1);
            assertThat(worker.isRunning()).isTrue();
        }
    }

    @Test
    void shouldFinishRunningItemsBeforeClosingWhenClosed() throws Exception {
        // Given an item that is running
        String pool = KafkaFixture.uniquePool("close");
        KafkaFixture.createTopics(List.of(pool));
        var tool = new ScriptedTool("takes_a_while", run -> {
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RetryableWorkException("interrupted");
            }
            return ToolOutputs.ok("finished");
        });
        String work = KafkaFixture.id("closing");
        Worker worker = start(config(pool), tool);
        producer.commit(KafkaFixture.tool(pool, work, "takes_a_while", "{}", ToolSemantics.IDEMPOTENT));
        assertThat(tool.started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        // When
        worker.close();

        // Then its result was produced, and it is not delivered again to a new worker
        assertThat(worker.isRunning()).isFalse();
        WorkResult result = results.await(work, Duration.ofSeconds(10));
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        try (Worker next = start(config(pool), tool)) {
            String probe = KafkaFixture.id("probe");
            producer.commit(KafkaFixture.tool(pool, probe, "noop", "{}", ToolSemantics.IDEMPOTENT));
            results.await(probe, TIMEOUT);
            assertThat(next.lostLocks()).isZero();
        }
        assertThat(tool.runs).hasValue(1);
        assertThat(results.received(work)).hasSize(1);
    }

    // ---- model calls ----

    private static WorkRequest modelCall(String pool, String work, String provider, String endpoint) {
        WorkRequest request = KafkaFixture.scriptedModel(
                pool,
                work,
                0,
                List.of(ScriptedTurn.newBuilder().setText("hello").build()));
        ((ModelCall) request.getRequest())
                .setModel(new ModelSpec(provider, "test-model", null, null, Map.of(), endpoint, null));
        return request;
    }

    @Test
    void shouldRetryWithinOneDeliveryAndReportEachWaitWhenTheEndpointAnswers429WithRetryAfter() throws Exception {
        // Given a model endpoint that answers 429 with Retry-After: 12 twice, then answers
        AtomicInteger calls = new AtomicInteger();
        try (var endpoint = ChatCompletionsServer.respondingWith(request -> calls.incrementAndGet() <= 2
                ? new ChatCompletionsServer.Response(
                        429,
                        Map.of("Retry-After", "12"),
                        "{\"error\":{\"message\":\"rate limited\",\"type\":\"rate_limit_exceeded\"}}")
                : ChatCompletionsServer.Response.ok(ChatCompletionsServer.textReply("finally")))) {
            String pool = KafkaFixture.uniquePool("ratelimit");
            KafkaFixture.createTopics(List.of(pool));
            WorkerConfig config = config(pool).toBuilder()
                    .modelTimeout(Duration.ofSeconds(20))
                    .modelEndpoints(List.of(new ModelEndpoint(
                            "limited",
                            OpenAiModelProvider.NAME,
                            URI.create(endpoint.baseUrl()),
                            Optional.of(Credential.of("k-limited", "the test")))))
                    .build();
            String work = KafkaFixture.id("ratelimited");

            try (Worker worker = Worker.start(config)) {
                // When
                producer.commit(modelCall(pool, work, OpenAiModelProvider.NAME, "limited"));

                // Then the call succeeds within its first delivery, after two waits of 12 s
                WorkResult result = results.await(work, TIMEOUT);
                assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
                assertThat(((ModelReply) result.getResult()).getText()).isEqualTo("finally");
                assertThat(result.getDeliveryCount()).isEqualTo(1);
                assertThat(result.getDurationMs()).isGreaterThanOrEqualTo(24_000);
                assertThat(endpoint.requests()).hasSize(3);
                assertThat(worker.lostLocks()).isZero();

                // and before each wait it told the session when to expect the answer: the next attempt, plus the
                // time one attempt may take
                List<WorkResult> delayed = results.delayed(work);
                assertThat(delayed).hasSize(2);
                for (int i = 0; i < 2; i++) {
                    WorkProgress progress = (WorkProgress) delayed.get(i).getResult();
                    assertThat(progress.getAttempt()).isEqualTo(i + 2);
                    assertThat(Duration.between(delayed.get(i).getCompletedAt(), progress.getRetryAt()))
                            .isBetween(Duration.ofSeconds(11), Duration.ofSeconds(12));
                    assertThat(Duration.between(progress.getRetryAt(), progress.getExpectedBy()))
                            .isEqualTo(Duration.ofSeconds(20));
                    assertThat(progress.getReason())
                            .contains("HTTP 429")
                            .contains("model endpoint 'limited'")
                            .contains("Retry-After 12 s");
                    assertThat(delayed.get(i).getDeliveryCount()).isEqualTo(1);
                }
                assertThat(((WorkProgress) delayed.get(1).getResult()).getRetryAt())
                        .isAfterOrEqualTo(((WorkProgress) delayed.get(0).getResult())
                                .getRetryAt()
                                .plusSeconds(12));
            }
        }
    }

    /** The share group's lag on the request's partition: its records not yet acknowledged for good. */
    private static long unacknowledged(String pool, WorkRequest request) throws Exception {
        TopicPartition partition = new TopicPartition(
                Topics.workTopicName(pool),
                SessionIds.partition(request.getSessionId(), Topics.work(pool).partitions()));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaFixture.bootstrap()))) {
            return admin.listShareGroupOffsets(Map.of(
                            Topics.shareGroup(pool),
                            new ListShareGroupOffsetsSpec().topicPartitions(List.of(partition))))
                    .partitionsToOffsetInfo(Topics.shareGroup(pool))
                    .get(30, TimeUnit.SECONDS)
                    .get(partition)
                    .lag()
                    .orElseThrow();
        }
    }

    @Test
    void shouldAcknowledgeWithoutCallingTheModelWhenAnEarlierDeliveryCommittedItsResult() throws Exception {
        // Given a model call whose first delivery committed its result but ended without an acknowledgement (as when
        // its worker dies between the two)
        String pool = KafkaFixture.uniquePool("answered");
        KafkaFixture.createTopics(List.of(pool));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaFixture.bootstrap()))) {
            ShareGroupSetup.configure(admin, List.of(Topics.shareGroup(pool)), WorkerConfig.DEFAULT_MAX_DELIVERIES);
        }
        String work = KafkaFixture.id("answered");
        WorkRequest request = modelCall(pool, work, "counting", "");
        producer.commit(request);
        producer.commitResult(KafkaFixture.modelAnswer(request, "worker-that-died"));
        takeAndRelease(pool);
        assertThat(unacknowledged(pool, request)).isEqualTo(1);
        var model = new CountingModel();
        WorkerConfig config = config(pool);

        // When the item is delivered again
        try (Worker worker = Worker.start(config, ToolRegistry.builtins(config), ModelProviders.of(model))) {

            // Then it is acknowledged without calling the model
            Awaitility.await("the redelivery acknowledged").atMost(TIMEOUT).until(() -> worker.alreadyAnswered() == 1);
            assertThat(model.calls).hasValue(0);
            Awaitility.await("the acknowledgement").atMost(TIMEOUT).until(() -> unacknowledged(pool, request) == 0);
            // and no second result was produced
            results.pollOnce(Duration.ofMillis(500));
            assertThat(results.received(work))
                    .singleElement()
                    .satisfies(r -> assertThat(r.result().getWorkerId()).isEqualTo("worker-that-died"));
            assertThat(results.delayed(work)).isEmpty();
            assertThat(worker.alreadyAnswered()).isEqualTo(1);
            assertThat(model.calls).hasValue(0);
        }
    }
}
