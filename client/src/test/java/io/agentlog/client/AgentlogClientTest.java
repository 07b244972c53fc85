package io.agentlog.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.StreamChunk;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.testkit.SharedBroker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AgentlogClientTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private static String bootstrap;
    private static AgentlogClient client;

    @BeforeAll
    static void setUp() {
        bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, DEADLINE);
        client = new AgentlogClient(bootstrap);
    }

    @AfterAll
    static void tearDown() {
        client.close();
    }

    @Test
    void shouldReadAgentBackWhenItWasPut() {
        // Given
        AgentDefinition definition = AgentDefinitions.parse(
                """
                name: lister-%s
                version: 2
                model: {provider: scripted}
                tools: [list_files]
                script: [{text: nothing to do}]
                """.formatted(UUID.randomUUID().toString().substring(0, 8)), "lister.yaml");

        // When
        AgentRegistration registration = client.putAgent(definition);

        // Then
        assertThat(registration.key()).isEqualTo(definition.getName() + "@2");
        assertThat(registration.alreadyRegistered()).isFalse();
        List<AgentDefinition> agents = client.agents();
        assertThat(agents)
                .filteredOn(a -> a.getName().equals(definition.getName()))
                .singleElement()
                .satisfies(a -> {
                    assertThat(a.getVersion()).isEqualTo(2);
                    assertThat(a.getTools()).hasSize(1);
                    assertThat(a.getCreatedAt()).isAfter(Instant.EPOCH);
                });
    }

    @Test
    void shouldWriteNothingAndKeepCreatedAtWhenTheSameDefinitionIsPutAgain() {
        // Given a registered definition
        String yaml = lister("same-" + UUID.randomUUID().toString().substring(0, 8), "nothing to do");
        AgentRegistration first = client.putAgent(AgentDefinitions.parse(yaml, "lister.yaml"));

        // When the same file is put again (a new createdAt would be stamped, if anything were written)
        AgentRegistration second = client.putAgent(AgentDefinitions.parse(yaml, "lister.yaml"));

        // Then it is a no-op that says so, with the first registration's createdAt, and the topic holds one record
        assertThat(second.key()).isEqualTo(first.key());
        assertThat(second.alreadyRegistered()).isTrue();
        assertThat(second.createdAt()).isEqualTo(first.createdAt());
        List<AgentDefinition> records = agentRecords(first.key());
        assertThat(records)
                .singleElement()
                .satisfies(a -> assertThat(a.getCreatedAt()).isEqualTo(first.createdAt()));
    }

    @Test
    void shouldRefuseAndWriteNothingWhenARegisteredVersionIsPutWithOtherContent() {
        // Given a registered definition
        String name = "changed-" + UUID.randomUUID().toString().substring(0, 8);
        AgentRegistration first = client.putAgent(AgentDefinitions.parse(lister(name, "nothing to do"), "a.yaml"));

        // When the same name@version is put with another script and prompt
        AgentDefinition changed = AgentDefinitions.parse(lister(name, "something else"), "a.yaml");
        changed.setSystemPrompt("Be brief.");

        // Then it is refused, naming the key, what differs and the version to use, and the topic still holds only
        // the first definition
        assertThatThrownBy(() -> client.putAgent(changed))
                .isInstanceOfSatisfying(
                        AgentVersionConflictException.class,
                        e -> assertThat(e.key()).isEqualTo(name + "@2"))
                .hasMessage("agent " + name + "@2 is already registered with different content (systemPrompt,"
                        + " script); a registered version never changes: set version: 3 and put it again");
        assertThat(agentRecords(first.key()))
                .singleElement()
                .satisfies(a -> assertThat(a.getScript().get(0).getText()).isEqualTo("nothing to do"));
    }

    @Test
    void shouldRegisterNoneOfSeveralDefinitionsWhenOneConflicts() {
        // Given a registered v2
        String name = "batch-" + UUID.randomUUID().toString().substring(0, 8);
        client.putAgent(AgentDefinitions.parse(lister(name, "v2"), "a.yaml"));
        AgentDefinition v3 = AgentDefinitions.parse(lister(name, "v3"), "b.yaml");
        v3.setVersion(3);
        AgentDefinition changedV2 = AgentDefinitions.parse(lister(name, "v2 edited"), "c.yaml");

        // When a new v3 and a changed v2 are put together
        assertThatThrownBy(() -> client.putAgents(List.of(v3, changedV2)))
                .isInstanceOf(AgentVersionConflictException.class)
                .hasMessageContaining("set version: 4");

        // Then v3 was not registered either
        assertThat(agentRecords(name + "@3")).isEmpty();
        assertThat(client.putAgent(v3).alreadyRegistered()).isFalse();
    }

    private static String lister(String name, String text) {
        return """
                name: %s
                version: 2
                model: {provider: scripted}
                tools: [list_files]
                script: [{text: %s}]
                """.formatted(name, text);
    }

    /** Every record of {@code key} on agentlog.agents, read_committed, up to the end offsets at the time of the call. */
    private static List<AgentDefinition> agentRecords(String key) {
        try (KafkaConsumer<String, byte[]> consumer = readCommittedConsumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.AGENTS.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<AgentDefinition> found = new ArrayList<>();
            await().atMost(DEADLINE).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (key.equals(r.key()) && r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        found.add(Topics.AGENTS.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                    }
                });
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
            return found;
        }
    }

    @Test
    void shouldWriteTaskKeyedBySessionIdWhenSubmitted() {
        // Given
        TaskSubmitted task = AgentlogClient.task("demo", "say hi")
                .setMetadata(Map.of("team", "x"))
                .build();

        // When
        String sessionId = client.submit(task);

        // Then
        TaskSubmitted written = readOne(
                Topics.TASKS.name(),
                sessionId,
                bytes -> Topics.TASKS.valueSerde().deserializer().deserialize(Topics.TASKS.name(), bytes));
        assertThat(UUID.fromString(sessionId)).isNotNull();
        assertThat(written.getSessionId()).isEqualTo(sessionId);
        assertThat(written.getAgent()).isEqualTo("demo");
        assertThat(written.getInput()).isEqualTo("say hi");
        assertThat(written.getMetadata()).containsEntry("team", "x");
        assertThat(written.getSubmittedAt()).isAfter(Instant.EPOCH);
    }

    @Test
    void shouldNameSameSessionWhenIdempotencyKeyIsRepeated() {
        // Given
        String key = "order-" + UUID.randomUUID();

        // When
        String first = client.submit(
                AgentlogClient.task("demo", "a").setIdempotencyKey(key).build());
        String second = client.submit(
                AgentlogClient.task("demo", "a").setIdempotencyKey(key).build());

        // Then
        assertThat(first).isEqualTo(second).isEqualTo(SessionIds.fromIdempotencyKey(key));
    }

    @Test
    void shouldReturnCommittedResultWhenEngineWritesItAfterSubmit() throws Exception {
        // Given
        String sessionId = client.submit(AgentlogClient.task("demo", "work").build());
        CompletableFuture<SessionResult> waiting =
                CompletableFuture.supplyAsync(() -> client.awaitResult(sessionId, DEADLINE));

        // When: the "engine" aborts one result and commits another
        try (KafkaProducer<String, byte[]> engine = transactionalProducer()) {
            engine.initTransactions();
            engine.beginTransaction();
            engine.send(resultRecord(sessionId, ResultStatus.FAILED));
            engine.flush();
            engine.abortTransaction();
            engine.beginTransaction();
            engine.send(resultRecord("other-" + UUID.randomUUID(), ResultStatus.FAILED));
            engine.send(resultRecord(sessionId, ResultStatus.COMPLETED));
            engine.commitTransaction();
        }

        // Then
        SessionResult result = waiting.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(result.getSessionId()).isEqualTo(sessionId);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
    }

    @Test
    void shouldFindOldResultWhenSessionWasSubmittedElsewhere() throws Exception {
        // Given
        String sessionId = "old-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> engine = transactionalProducer()) {
            engine.initTransactions();
            engine.beginTransaction();
            engine.send(resultRecord(sessionId, ResultStatus.CANCELLED));
            engine.commitTransaction();
        }

        // When
        try (AgentlogClient other = new AgentlogClient(bootstrap)) {
            SessionResult result = other.awaitResult(sessionId, DEADLINE);

            // Then
            assertThat(result.getStatus()).isEqualTo(ResultStatus.CANCELLED);
        }
    }

    @Test
    void shouldDeliverEventsInOrderUntilEndWhenWatching() throws Exception {
        // Given
        String sessionId = client.submit(AgentlogClient.task("demo", "watch me").build());
        List<SessionEvent> seen = new ArrayList<>();
        CompletableFuture<SessionEvent> watching =
                CompletableFuture.supplyAsync(() -> client.watch(sessionId, DEADLINE, seen::add));

        // When
        try (KafkaProducer<String, byte[]> engine = transactionalProducer()) {
            engine.initTransactions();
            engine.beginTransaction();
            engine.send(eventRecord(sessionId, 0, new ModelRequested("w-0", 0, java.time.Instant.EPOCH, null)));
            engine.send(eventRecord(
                    sessionId,
                    0,
                    new ModelRequested("w-0", 0, java.time.Instant.EPOCH, null))); // a duplicate is skipped
            engine.send(eventRecord(sessionId, 1, new SessionEnded(ResultStatus.COMPLETED, "ok", null)));
            engine.send(eventRecord(sessionId, 2, new ModelRequested("after-end", 9, java.time.Instant.EPOCH, null)));
            engine.commitTransaction();
        }

        // Then
        SessionEvent end = watching.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(end.getSeq()).isEqualTo(1);
        assertThat(seen).extracting(SessionEvent::getSeq).containsExactly(0L, 1L);
    }

    @Test
    void shouldStartWithTheOpenAnswerAndSkipAnsweredCallsWhenWatchingMidAnswer() throws Exception {
        // Given a session whose first model call is answered and whose second is being written: two chunks so far
        String sessionId = "mid-answer-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> engine = transactionalProducer();
                KafkaProducer<String, byte[]> worker = plainProducer()) {
            engine.initTransactions();
            engine.beginTransaction();
            engine.send(eventRecord(sessionId, 0, new ModelRequested("w-1", 0, Instant.EPOCH, null)));
            engine.send(eventRecord(sessionId, 1, new ModelResponded("w-1", 0, "First.", List.of(), usage())));
            engine.send(eventRecord(sessionId, 2, new ModelRequested("w-2", 1, Instant.EPOCH, null)));
            engine.commitTransaction();
            worker.send(chunkRecord(sessionId, "w-1", 0, "First.")).get(); // answered: never shown again
            worker.send(chunkRecord(sessionId, "w-2", 0, "Hel")).get();
            worker.send(chunkRecord(sessionId, "w-2", 1, "lo")).get();

            // When someone starts watching now
            List<StreamChunk> chunks = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<SessionEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            CompletableFuture<SessionEvent> watching =
                    CompletableFuture.supplyAsync(() -> client.watch(sessionId, DEADLINE, events::add, chunks::add));

            // Then the open answer's chunks so far arrive, and then the rest as it is written
            await().atMost(DEADLINE).until(() -> chunks.size() >= 2);
            worker.send(chunkRecord(sessionId, "w-2", 2, "!")).get();
            await().atMost(DEADLINE).until(() -> chunks.size() >= 3);
            engine.beginTransaction();
            engine.send(eventRecord(sessionId, 3, new ModelResponded("w-2", 1, "Hello!", List.of(), usage())));
            engine.send(eventRecord(sessionId, 4, new SessionEnded(ResultStatus.COMPLETED, "Hello!", null)));
            engine.commitTransaction();
            assertThat(watching.get(DEADLINE.toSeconds(), TimeUnit.SECONDS).getSeq())
                    .isEqualTo(4);
            assertThat(chunks)
                    .extracting(StreamChunk::workId, StreamChunk::index, StreamChunk::text)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("w-2", 0, "Hel"),
                            org.assertj.core.groups.Tuple.tuple("w-2", 1, "lo"),
                            org.assertj.core.groups.Tuple.tuple("w-2", 2, "!"));
            assertThat(events).extracting(SessionEvent::getSeq).containsExactly(0L, 1L, 2L, 3L, 4L);
        }
    }

    @Test
    void shouldTimeOutWithSessionIdWhenNoResultArrives() {
        String sessionId =
                client.submit(AgentlogClient.task("demo", "never answered").build());

        assertThatThrownBy(() -> client.awaitResult(sessionId, Duration.ofMillis(500)))
                .isInstanceOf(ResultTimeoutException.class)
                .hasMessageStartingWith("no result for session " + sessionId + " within 500 ms");
    }

    @Test
    void shouldWriteControlCommandWhenCancelling() {
        // Given
        String sessionId = "cancel-" + UUID.randomUUID();

        // When
        client.cancel(sessionId, "changed my mind");

        // Then
        ControlCommand written = readOne(
                Topics.CONTROL.name(),
                sessionId,
                bytes -> Topics.CONTROL.valueSerde().deserializer().deserialize(Topics.CONTROL.name(), bytes));
        assertThat(written.getType()).isEqualTo(ControlType.CANCEL);
        assertThat(written.getMessage()).isEqualTo("changed my mind");
    }

    @Test
    void shouldWriteTheCallAndTheEditedArgumentsWhenApproving() {
        // Given
        String sessionId = "approve-" + UUID.randomUUID();

        // When
        client.approve(sessionId, "call_1", "{\"env\":\"staging\"}");

        // Then
        ControlCommand written = readOne(
                Topics.CONTROL.name(),
                sessionId,
                bytes -> Topics.CONTROL.valueSerde().deserializer().deserialize(Topics.CONTROL.name(), bytes));
        assertThat(written.getType()).isEqualTo(ControlType.APPROVE);
        assertThat(written.getToolCallId()).isEqualTo("call_1");
        assertThat(written.getArguments()).isEqualTo("{\"env\":\"staging\"}");
    }

    @Test
    void shouldRefuseResumeWhichTheEngineDoesNotActOn() {
        // Given a RESUME command, which the engine would only send to the DLQ
        ControlCommand resume = ControlCommand.newBuilder()
                .setSessionId("s-1")
                .setType(ControlType.RESUME)
                .setIssuedAt(Instant.now())
                .build();

        // When it is sent, then it is refused before anything is written
        assertThatThrownBy(() -> client.control(resume))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("RESUME for session s-1 is not supported: the engine would send it to the DLQ; use"
                        + " [CANCEL, STEER, APPROVE, DENY, ANSWER]");
    }

    @Test
    void shouldRejectInvalidSessionIdWhenSubmitting() {
        TaskSubmitted task =
                AgentlogClient.task("demo", "x").setSessionId("a/b").build();

        assertThatThrownBy(() -> client.submit(task))
                .hasMessage("session id 'a/b' is invalid: it must match " + SessionIds.VALID.pattern());
    }

    @Test
    void shouldSayKafkaDoesNotAnswerWhenNothingListens() {
        try (AgentlogClient nowhere = new AgentlogClient("127.0.0.1:1", Map.of(), Duration.ofSeconds(1))) {
            assertThatThrownBy(() ->
                            nowhere.submit(AgentlogClient.task("demo", "x").build()))
                    .isInstanceOf(AgentlogException.class)
                    .hasMessageStartingWith("Kafka at 127.0.0.1:1 did not answer within 1 s: is it running?");
        }
    }

    private static ProducerRecord<String, byte[]> resultRecord(String sessionId, ResultStatus status) {
        SessionResult result = SessionResult.newBuilder()
                .setSessionId(sessionId)
                .setStatus(status)
                .setAgent("demo")
                .setUsage(new Usage(0L, 0L, 0L, 0L))
                .build();
        return new ProducerRecord<>(
                Topics.RESULTS.name(),
                sessionId,
                AvroSerde.of(SessionResult.class).encode(result));
    }

    private static ProducerRecord<String, byte[]> eventRecord(String sessionId, long seq, Object event) {
        SessionEvent value = SessionEvent.newBuilder()
                .setSessionId(sessionId)
                .setSeq(seq)
                .setAt(Instant.now())
                .setEvent(event)
                .build();
        return new ProducerRecord<>(
                Topics.EVENTS.name(),
                sessionId,
                AvroSerde.of(SessionEvent.class).encode(value));
    }

    private static ProducerRecord<String, byte[]> chunkRecord(String sessionId, String workId, int index, String text) {
        StreamChunk chunk = new StreamChunk(sessionId, workId, "attempt-1", index, text, Instant.now());
        return new ProducerRecord<>(
                Topics.STREAM.name(), sessionId, chunk.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Usage usage() {
        return new Usage(1L, 1L, 0L, 0L);
    }

    private static KafkaProducer<String, byte[]> plainProducer() {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    private static KafkaProducer<String, byte[]> transactionalProducer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        "fake-engine-" + UUID.randomUUID()),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    private static KafkaConsumer<String, byte[]> readCommittedConsumer() {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    private static <T> T readOne(String topic, String key, java.util.function.Function<byte[], T> decode) {
        try (KafkaConsumer<String, byte[]> consumer = readCommittedConsumer()) {
            TopicPartition partition = new TopicPartition(topic, SessionIds.partition(key, Topics.SESSION_PARTITIONS));
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<T> found = new ArrayList<>();
            await().atMost(DEADLINE).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (key.equals(r.key())) {
                        found.add(decode.apply(r.value()));
                    }
                });
                return !found.isEmpty();
            });
            return found.get(0);
        }
    }
}
