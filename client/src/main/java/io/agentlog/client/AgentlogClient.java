package io.agentlog.client;

import io.agentlog.schemas.KafkaClientProperties;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.StreamChunk;
import io.agentlog.schemas.Topic;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ApprovalDecided;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.Fork;
import io.agentlog.schemas.avro.HumanAnswered;
import io.agentlog.schemas.avro.HumanAsked;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.TaskSubmitted;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java client of agentlog: submit tasks, wait for their results, follow their events, register agents and
 * steer or cancel sessions. Everything goes through the contract's topics ({@link Topics}); results and events are
 * read with {@code isolation.level=read_committed}. Thread-safe; one instance per application is enough.
 *
 * <pre>{@code
 * try (AgentlogClient client = new AgentlogClient("localhost:9092")) {
 *     client.putAgent(AgentDefinitions.load(Path.of("agent.yaml")));
 *     String sessionId = client.submit(AgentlogClient.task("demo", "Write a haiku").build());
 *     SessionResult result = client.awaitResult(sessionId, Duration.ofMinutes(1));
 * }
 * }</pre>
 *
 * <p>A result or an event can only be missed if reading starts after it was written; so {@link #submit} notes the
 * end of the session's results and events partitions before it sends the task, and {@link #awaitResult} and
 * {@link #watch} start there. For a session this client did not submit they read its partition from the start.
 */
public final class AgentlogClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentlogClient.class);

    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(15);

    /** Room left in a fork's task record for its key, headers and batch envelope. */
    static final int FORK_RECORD_MARGIN_BYTES = 16 * 1024;

    private static final Duration POLL = Duration.ofMillis(200);
    /** How much earlier than a model call's request (engine clock) its chunks (worker clock) are looked for. */
    private static final Duration CHUNK_CLOCK_SKEW = Duration.ofSeconds(2);
    /** How far back a watcher who arrives mid-answer looks for the answer's chunks at most. */
    private static final Duration CHUNK_LOOKBACK = Duration.ofMinutes(10);

    private static final int MAX_REMEMBERED_SESSIONS = 10_000;
    /** The control commands the engine acts on; RESUME is in the schema for sessions that do not pause yet. */
    private static final Set<ControlType> SUPPORTED_CONTROL = java.util.EnumSet.of(
            ControlType.CANCEL, ControlType.STEER, ControlType.APPROVE, ControlType.DENY, ControlType.ANSWER);

    private final String bootstrapServers;
    private final Map<String, Object> overrides;
    private final Duration requestTimeout;
    private KafkaProducer<String, byte[]> producer;
    private final Admin admin;
    private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();
    private final Map<String, Marks> marks = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Marks> eldest) {
            return size() > MAX_REMEMBERED_SESSIONS;
        }
    });

    /** Where a session's results and events partitions ended just before its task was sent. */
    private record Marks(long resultsOffset, long eventsOffset) {}

    public AgentlogClient(String bootstrapServers) {
        this(bootstrapServers, Map.of(), DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * A client of a secured cluster, for example.
     *
     * @param clientConfigs Kafka client properties for every client it creates: connection and security settings
     *     such as {@code security.protocol}, {@code sasl.jaas.config}, {@code ssl.truststore.location}
     *     ({@link KafkaClientProperties#load} reads them from a {@code client.properties} file). The settings its
     *     guarantees rest on ({@link KafkaClientProperties#RESERVED}) are refused.
     * @throws IllegalArgumentException when {@code clientConfigs} sets a reserved key
     */
    public AgentlogClient(String bootstrapServers, Map<String, ?> clientConfigs) {
        this(bootstrapServers, clientConfigs, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * @param clientConfigs extra Kafka client configs (security settings, for example), applied to every client; not
     *     one of {@link KafkaClientProperties#RESERVED}
     * @param requestTimeout how long one request may take before the operation fails with a clear message
     */
    public AgentlogClient(String bootstrapServers, Map<String, ?> clientConfigs, Duration requestTimeout) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(
                    "bootstrap servers must be host:port[,host:port...], but was '" + bootstrapServers + "'");
        }
        var reserved = KafkaClientProperties.reservedIn(clientConfigs.keySet());
        if (!reserved.isEmpty()) {
            throw new IllegalArgumentException(
                    "the client sets " + reserved + " itself; pass connection and security settings only");
        }
        this.bootstrapServers = bootstrapServers;
        this.overrides = Map.copyOf(clientConfigs);
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");

        Map<String, Object> adminConfig = base("agentlog-client-admin");
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
        adminConfig.putAll(overrides);
        this.admin = Admin.create(adminConfig);
    }

    /**
     * A task builder with the agent and input set; {@link #submit} fills in the session id (unless you set one) and
     * the submit time. Add a version, idempotency key, budget or metadata as needed.
     */
    public static TaskSubmitted.Builder task(String agent, String input) {
        return TaskSubmitted.newBuilder()
                .setSessionId("")
                .setAgent(agent)
                .setInput(input)
                .setSubmittedAt(Instant.now());
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * Sends a task to {@code agentlog.tasks} and returns its session id once Kafka has it. A blank session id is
     * filled in: derived from the idempotency key when there is one, so submitting the same key twice names one
     * session, else a random UUID.
     */
    public String submit(TaskSubmitted task) {
        Objects.requireNonNull(task, "task");
        if (task.getAgent() == null || task.getAgent().isBlank()) {
            throw new IllegalArgumentException("the task has no agent name: say which agent should run it");
        }
        if (task.getInput() == null) {
            throw new IllegalArgumentException("the task for agent '" + task.getAgent() + "' has no input");
        }
        String sessionId = SessionIds.of(task.getSessionId(), task.getIdempotencyKey());
        TaskSubmitted.Builder builder = TaskSubmitted.newBuilder(task).setSessionId(sessionId);
        if (task.getSubmittedAt() == null || task.getSubmittedAt().equals(Instant.EPOCH)) {
            builder.setSubmittedAt(Instant.now());
        }
        TaskSubmitted toSend = builder.build();
        sendTask(sessionId, toSend);
        log.debug("Submitted session {} for agent {}", sessionId, toSend.getAgent());
        return sessionId;
    }

    /** Writes a new session's task, remembering where its result and events start for {@link #awaitResult}. */
    private void sendTask(String sessionId, TaskSubmitted task) {
        requireTopics(Topics.TASKS.name(), Topics.RESULTS.name(), Topics.EVENTS.name());
        marks.put(sessionId, currentMarks(sessionId));
        send(Topics.TASKS, sessionId, task);
    }

    /** {@link #submit} then {@link #awaitResult}. */
    public SessionResult submitAndWait(TaskSubmitted task, Duration timeout) {
        return awaitResult(submit(task), timeout);
    }

    /**
     * Waits for the session's terminal record on {@code agentlog.results}.
     *
     * @throws ResultTimeoutException when there is none within {@code timeout}
     */
    public SessionResult awaitResult(String sessionId, Duration timeout) {
        SessionIds.validate(sessionId);
        requireTopics(Topics.RESULTS.name());
        Marks mark = marks.get(sessionId);
        Optional<SessionResult> found =
                scan(Topics.RESULTS, sessionId, mark == null ? -1 : mark.resultsOffset(), timeout, result -> true);
        return found.orElseThrow(() -> new ResultTimeoutException(sessionId, "result", timeout));
    }

    /**
     * Calls {@code onEvent} with each event of the session on {@code agentlog.events}, in order, until its
     * {@link SessionEnded} event, which it returns.
     *
     * @throws ResultTimeoutException when the session has not ended within {@code timeout}
     */
    public SessionEvent watch(String sessionId, Duration timeout, Consumer<SessionEvent> onEvent) {
        return watch(sessionId, timeout, onEvent, null);
    }

    /**
     * {@link #watch(String, Duration, Consumer)}, and {@code onChunk} with the pieces of model answers
     * ({@code agentlog.stream}, best effort) as they come. A watcher who arrives while the model is writing gets that
     * answer's chunks from its start: once the journal is read up to where it ended when the watch began, chunks are
     * read from shortly before the open model call was requested. Chunks of a model call whose {@code ModelResponded}
     * was already delivered are dropped, so a reader never shows an answer after it is final; a chunk's
     * {@code attempt} tells a retried call's text from an earlier try's (start the answer over when it changes).
     */
    public SessionEvent watch(
            String sessionId, Duration timeout, Consumer<SessionEvent> onEvent, Consumer<StreamChunk> onChunk) {
        SessionIds.validate(sessionId);
        requireTopics(Topics.EVENTS.name());
        Marks mark = marks.get(sessionId);
        long[] nextSeq = {0};
        Set<String> answered = new HashSet<>();
        OpenModelCall open = new OpenModelCall();
        java.util.function.Predicate<SessionEvent> accept = event -> {
            if (event.getSeq() < nextSeq[0]) {
                return false; // already seen
            }
            nextSeq[0] = event.getSeq() + 1;
            if (event.getEvent() instanceof ModelRequested requested) {
                open.requested(requested.getWorkId(), event.getAt());
            } else if (event.getEvent() instanceof ModelResponded responded) {
                answered.add(responded.getWorkId());
                open.answered(responded.getWorkId());
            }
            onEvent.accept(event);
            return event.getEvent() instanceof SessionEnded;
        };
        ChunkTail chunks = onChunk == null
                ? null
                : new ChunkTail(
                        chunk -> {
                            if (!answered.contains(chunk.workId())) {
                                onChunk.accept(chunk);
                            }
                        },
                        open::since);
        Optional<SessionEvent> end =
                scan(Topics.EVENTS, sessionId, mark == null ? -1 : mark.eventsOffset(), timeout, accept, chunks);
        return end.orElseThrow(() -> new ResultTimeoutException(sessionId, "end event", timeout));
    }

    /** The session's newest model call while it has no answer: where a watcher's chunks begin. */
    private static final class OpenModelCall {
        private String workId;
        private Instant requestedAt;

        void requested(String workId, Instant at) {
            this.workId = workId;
            this.requestedAt = at;
        }

        void answered(String workId) {
            if (workId.equals(this.workId)) {
                this.workId = null;
                this.requestedAt = null;
            }
        }

        /** When chunks worth showing begin: the open call's request, or {@code now} when none is open. */
        Instant since(Instant now) {
            return requestedAt == null || requestedAt.isAfter(now) ? now : requestedAt;
        }
    }

    /**
     * A watch's reading of {@code agentlog.stream}: {@code onChunk} gets the session's chunks written from
     * {@code since} (given the time the watch began) on, read once the journal is caught up.
     */
    private record ChunkTail(Consumer<StreamChunk> onChunk, java.util.function.UnaryOperator<Instant> since) {}

    /**
     * Registers an agent definition on {@code agentlog.agents} under {@code name@version}. A registered version never
     * changes: when the key already holds the same definition (apart from {@code createdAt}) nothing is written and
     * the answer says it was already registered (with its first {@code createdAt}); when it holds another one, nothing
     * is written and {@link AgentVersionConflictException} says to raise the version.
     *
     * <p>The check reads the compacted topic (read_committed) from its beginning to the end offsets it had when the
     * put began. Two clients putting different definitions under one new key at the same moment can both pass it;
     * the newer record then wins.
     *
     * @throws AgentVersionConflictException when {@code name@version} holds another definition
     */
    public AgentRegistration putAgent(AgentDefinition definition) {
        return putAgents(List.of(definition)).get(0);
    }

    /**
     * {@link #putAgent} for several definitions, all checked before any is written: when one of them conflicts with a
     * registered version (or with another of them), none is registered.
     */
    public List<AgentRegistration> putAgents(List<AgentDefinition> definitions) {
        definitions.forEach(AgentlogClient::requireValidKey);
        requireTopics(Topics.AGENTS.name());
        Map<String, AgentDefinition> registered = registeredAgents();
        Map<String, AgentDefinition> toWrite = new LinkedHashMap<>();
        List<AgentRegistration> registrations = new ArrayList<>(definitions.size());
        for (AgentDefinition definition : definitions) {
            String key = Topics.agentKey(definition.getName(), definition.getVersion());
            AgentDefinition existing = toWrite.containsKey(key) ? toWrite.get(key) : registered.get(key);
            if (existing != null) {
                List<String> differing = differingFields(existing, definition);
                if (!differing.isEmpty()) {
                    throw new AgentVersionConflictException(
                            key, differing, nextVersion(definition.getName(), registered, toWrite));
                }
                registrations.add(new AgentRegistration(key, true, existing.getCreatedAt()));
                continue;
            }
            AgentDefinition toSend = AgentDefinition.newBuilder(definition).build();
            if (toSend.getCreatedAt() == null || toSend.getCreatedAt().equals(Instant.EPOCH)) {
                toSend.setCreatedAt(Instant.now());
            }
            toWrite.put(key, toSend);
            registrations.add(new AgentRegistration(key, false, toSend.getCreatedAt()));
        }
        toWrite.forEach((key, toSend) -> {
            send(Topics.AGENTS, key, toSend);
            log.debug("Registered agent {}", key);
        });
        return List.copyOf(registrations);
    }

    private static void requireValidKey(AgentDefinition definition) {
        Objects.requireNonNull(definition, "definition");
        if (definition.getName() == null
                || !AgentDefinitions.AGENT_NAME.matcher(definition.getName()).matches()) {
            throw new IllegalArgumentException("agent name '" + definition.getName() + "' is invalid: it must match "
                    + AgentDefinitions.AGENT_NAME.pattern());
        }
        if (definition.getVersion() < 1) {
            throw new IllegalArgumentException("agent '" + definition.getName() + "' has version "
                    + definition.getVersion() + "; versions start at 1");
        }
    }

    /** The fields in which two definitions differ, {@code createdAt} aside. */
    private static List<String> differingFields(AgentDefinition registered, AgentDefinition candidate) {
        return AgentDefinition.getClassSchema().getFields().stream()
                .filter(field -> !field.name().equals("createdAt"))
                .filter(field -> !Objects.equals(registered.get(field.pos()), candidate.get(field.pos())))
                .map(org.apache.avro.Schema.Field::name)
                .toList();
    }

    /** One above the highest version of {@code name} registered or about to be. */
    private static int nextVersion(
            String name, Map<String, AgentDefinition> registered, Map<String, AgentDefinition> toWrite) {
        return java.util.stream.Stream.concat(registered.values().stream(), toWrite.values().stream())
                        .filter(a -> a.getName().equals(name))
                        .mapToInt(AgentDefinition::getVersion)
                        .max()
                        .orElse(0)
                + 1;
    }

    /** Every agent definition on {@code agentlog.agents} (the newest record of each name@version), sorted. */
    public List<AgentDefinition> agents() {
        requireTopics(Topics.AGENTS.name());
        return registeredAgents().values().stream()
                .sorted(Comparator.comparing(AgentDefinition::getName).thenComparing(AgentDefinition::getVersion))
                .toList();
    }

    /**
     * The newest definition of each key on {@code agentlog.agents}: every partition read (read_committed) from its
     * beginning to the end offset it had when reading began.
     */
    private Map<String, AgentDefinition> registeredAgents() {
        Map<String, AgentDefinition> byKey = new HashMap<>();
        readToEnd(partitions(Topics.AGENTS.name()), "agentlog-client-agents", Topics.AGENTS.name(), record -> {
            if (record.value() == null) {
                byKey.remove(record.key());
            } else {
                decode(Topics.AGENTS, record).ifPresent(definition -> byKey.put(record.key(), definition));
            }
        });
        return byKey;
    }

    /**
     * Reads these partitions (read_committed) from their beginning to the end offsets they had when reading began,
     * handing each record to {@code onRecord}; records written after that are left out.
     *
     * @throws AgentlogException when the end is not reached within the request timeout
     */
    private void readToEnd(
            List<TopicPartition> partitions,
            String clientId,
            String what,
            java.util.function.Consumer<ConsumerRecord<String, byte[]>> onRecord) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(clientId)) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, requestTimeout);
            long deadline = System.nanoTime() + requestTimeout.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, requestTimeout) < end.get(tp))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AgentlogException("cannot read " + what + " to its end within "
                            + Durations.format(requestTimeout) + " from " + bootstrapServers);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                        onRecord.accept(record);
                    }
                }
            }
        }
    }

    /**
     * Sends a control command to {@code agentlog.control}: {@code CANCEL}, {@code STEER}, {@code APPROVE},
     * {@code DENY} or {@code ANSWER}, the commands the engine acts on. {@code RESUME} is refused here (the engine would only
     * dead-letter it).
     */
    public void control(ControlCommand command) {
        Objects.requireNonNull(command, "command");
        SessionIds.validate(command.getSessionId());
        ControlCommand toSend = ControlCommand.newBuilder(command).build();
        if (toSend.getIssuedAt() == null || toSend.getIssuedAt().equals(Instant.EPOCH)) {
            toSend.setIssuedAt(Instant.now());
        }
        if (!SUPPORTED_CONTROL.contains(toSend.getType())) {
            throw new IllegalArgumentException(toSend.getType() + " for session " + toSend.getSessionId()
                    + " is not supported: the engine would send it to the DLQ; use " + SUPPORTED_CONTROL);
        }
        if (toSend.getType() == ControlType.STEER
                && (toSend.getMessage() == null || toSend.getMessage().isBlank())) {
            throw new IllegalArgumentException("STEER for session " + toSend.getSessionId() + " needs a message");
        }
        requireTopics(Topics.CONTROL.name());
        send(Topics.CONTROL, toSend.getSessionId(), toSend);
    }

    public void cancel(String sessionId, String reason) {
        control(command(sessionId, ControlType.CANCEL).setMessage(reason).build());
    }

    public void steer(String sessionId, String message) {
        control(command(sessionId, ControlType.STEER).setMessage(message).build());
    }

    /**
     * Approves a tool call that waits for approval; it then runs with {@code arguments} (a JSON object) instead of
     * the model's when they are given. {@code toolCallId} may be null when exactly one call of the session waits.
     */
    public void approve(String sessionId, String toolCallId, String arguments) {
        control(command(sessionId, ControlType.APPROVE)
                .setToolCallId(toolCallId)
                .setArguments(arguments)
                .build());
    }

    /**
     * Denies a tool call that waits for approval: the model sees {@code message} as the call's result.
     * {@code toolCallId} may be null when exactly one call of the session waits.
     */
    public void deny(String sessionId, String toolCallId, String message) {
        control(command(sessionId, ControlType.DENY)
                .setToolCallId(toolCallId)
                .setMessage(message)
                .build());
    }

    /**
     * Forks a session: a new session whose state is the fold of {@code sourceSessionId}'s journal up to {@code atSeq}
     * (its history and workspace), so nothing before it runs again and no model call is repeated. Work that was in
     * flight at {@code atSeq} is requested again in the fork. {@code message}, when not blank, is added as a user
     * message at the fork. Returns the new session's id once Kafka has the task.
     *
     * @throws IllegalArgumentException when the session has no event {@code atSeq}
     * @throws AgentlogException when the copy does not fit a record of {@code agentlog.tasks}
     */
    public String fork(String sourceSessionId, long atSeq, String message) {
        List<SessionEvent> journal = journal(sourceSessionId);
        if (journal.isEmpty()) {
            throw new IllegalArgumentException("no session " + sourceSessionId + " on " + bootstrapServers
                    + " (no events on " + Topics.EVENTS.name() + ")");
        }
        if (atSeq < 0 || atSeq > journal.getLast().getSeq()) {
            throw new IllegalArgumentException("session " + sourceSessionId + " has events 0 to "
                    + journal.getLast().getSeq() + " (see `agentlog history " + sourceSessionId + "`), not " + atSeq);
        }
        List<SessionEvent> events = journal.subList(0, (int) atSeq + 1);
        SessionStarted started = (SessionStarted) events.getFirst().getEvent();
        String sessionId = UUID.randomUUID().toString();
        TaskSubmitted task = task(started.getAgent(), message == null ? "" : message)
                .setSessionId(sessionId)
                .setAgentVersion(started.getAgentVersion())
                .setFork(new Fork(sourceSessionId, atSeq, events, blobs(sourceSessionId, events)))
                .build();
        byte[] encoded = Topics.TASKS.valueSerde().serializer().serialize(Topics.TASKS.name(), task);
        int limit = Topics.maxRecordBytes(Topics.TASKS.name()) - FORK_RECORD_MARGIN_BYTES;
        if (encoded.length > limit) {
            throw new AgentlogException("the journal of session " + sourceSessionId + " up to seq " + atSeq + " is "
                    + encoded.length + " bytes with its files, more than the " + limit + " a fork may carry on "
                    + Topics.TASKS.name() + "; fork at an earlier seq");
        }
        sendTask(sessionId, task);
        log.debug("Forked session {} from {} at seq {}", sessionId, sourceSessionId, atSeq);
        return sessionId;
    }

    /** The large file contents the events name, read from {@code agentlog.blobs}. */
    private Map<String, ByteBuffer> blobs(String sessionId, List<SessionEvent> events) {
        Set<String> keys = new HashSet<>();
        for (SessionEvent event : events) {
            if (event.getEvent() instanceof FileWritten written && written.getContentHash() != null) {
                keys.add(Topics.blobKey(sessionId, written.getContentHash()));
            }
        }
        Map<String, ByteBuffer> blobs = new HashMap<>();
        if (keys.isEmpty()) {
            return blobs;
        }
        TopicPartition partition = new TopicPartition(
                Topics.BLOBS.name(), SessionIds.partition(sessionId, partitionCount(Topics.BLOBS.name())));
        readToEnd(List.of(partition), "agentlog-client-blobs", "the file contents of session " + sessionId, record -> {
            if (!keys.contains(record.key())) {
                return;
            }
            String hash = record.key().substring(sessionId.length() + 1);
            if (record.value() == null) {
                blobs.remove(hash); // tombstoned: the session's retention ended
            } else {
                blobs.put(hash, ByteBuffer.wrap(record.value()));
            }
        });
        if (blobs.size() != keys.size()) {
            throw new AgentlogException("session " + sessionId + "'s file contents on " + Topics.BLOBS.name()
                    + " are gone (" + (keys.size() - blobs.size()) + " of " + keys.size()
                    + " missing): its retention ended, so it cannot be forked");
        }
        return blobs;
    }

    /**
     * Answers a question the model asked ({@code ask_human}): the text is that call's result. {@code toolCallId} may
     * be null when exactly one question of the session waits.
     */
    public void answer(String sessionId, String toolCallId, String text) {
        control(command(sessionId, ControlType.ANSWER)
                .setToolCallId(toolCallId)
                .setMessage(text)
                .build());
    }

    /**
     * The tool calls of a session that wait for approval now: its journal read from the start to its end (each
     * {@link ApprovalRequested} not followed by an {@link ApprovalDecided}, none once the session ended).
     */
    public List<ApprovalRequested> awaitingApproval(String sessionId) {
        return waitingOnHumans(sessionId).stream()
                .filter(ApprovalRequested.class::isInstance)
                .map(ApprovalRequested.class::cast)
                .toList();
    }

    /**
     * The questions of a session that wait for an answer now ({@link HumanAsked} not followed by a
     * {@link HumanAnswered}, none once the session ended).
     */
    public List<HumanAsked> awaitingAnswer(String sessionId) {
        return waitingOnHumans(sessionId).stream()
                .filter(HumanAsked.class::isInstance)
                .map(HumanAsked.class::cast)
                .toList();
    }

    /** The approvals and questions of the session still open, in the order they were asked. */
    private List<Object> waitingOnHumans(String sessionId) {
        Map<String, Object> waiting = new java.util.LinkedHashMap<>();
        for (SessionEvent event : journal(sessionId)) {
            switch (event.getEvent()) {
                case ApprovalRequested requested -> waiting.put("a:" + requested.getToolCallId(), requested);
                case ApprovalDecided decided -> waiting.remove("a:" + decided.getToolCallId());
                case HumanAsked asked -> waiting.put("q:" + asked.getToolCallId(), asked);
                case HumanAnswered answered -> waiting.remove("q:" + answered.getToolCallId());
                case SessionEnded ended -> waiting.clear();
                default -> {}
            }
        }
        return List.copyOf(waiting.values());
    }

    /**
     * The session's journal as it is now: its events on {@code agentlog.events} (read_committed) from the first to
     * the last committed one, in {@code seq} order; empty for a session without events.
     */
    public List<SessionEvent> journal(String sessionId) {
        SessionIds.validate(sessionId);
        requireTopics(Topics.EVENTS.name());
        TopicPartition partition = new TopicPartition(
                Topics.EVENTS.name(), SessionIds.partition(sessionId, partitionCount(Topics.EVENTS.name())));
        List<SessionEvent> events = new ArrayList<>();
        readToEnd(List.of(partition), "agentlog-client-journal", "the journal of session " + sessionId, record -> {
            if (!sessionId.equals(record.key()) || record.value() == null) {
                return;
            }
            long nextSeq = events.isEmpty() ? 0 : events.getLast().getSeq() + 1;
            decode(Topics.EVENTS, record)
                    .filter(event -> event.getSeq() >= nextSeq) // a replayed copy is skipped
                    .ifPresent(events::add);
        });
        return List.copyOf(events);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
            }
        }
        admin.close(Duration.ofSeconds(5));
    }

    /** The idempotent producer, made on first write (reading clients never need one). */
    private synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Map<String, Object> config = base("agentlog-client");
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.LINGER_MS_CONFIG, 0); // each submit has someone waiting for it
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) requestTimeout.toMillis());
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis() + 5_000);
            config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
            config.putAll(overrides);
            producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    private static ControlCommand.Builder command(String sessionId, ControlType type) {
        return ControlCommand.newBuilder().setSessionId(sessionId).setType(type).setIssuedAt(Instant.now());
    }

    /**
     * Reads the session's partition of {@code topic} from {@code fromOffset} (or its beginning when negative) until
     * {@code accept} says a value of the session is the one wanted.
     */
    private <V> Optional<V> scan(
            Topic<String, V> topic,
            String sessionId,
            long fromOffset,
            Duration timeout,
            java.util.function.Predicate<V> accept) {
        return scan(topic, sessionId, fromOffset, timeout, accept, null);
    }

    /**
     * {@code chunks}: also read the session's {@code agentlog.stream} chunks, if not null, once the journal is read up
     * to where it ended when the scan began (so that {@code accept} has seen every call answered before then): from
     * {@link #CHUNK_CLOCK_SKEW} before {@link ChunkTail#since}, at most {@link #CHUNK_LOOKBACK} back.
     */
    private <V> Optional<V> scan(
            Topic<String, V> topic,
            String sessionId,
            long fromOffset,
            Duration timeout,
            java.util.function.Predicate<V> accept,
            ChunkTail chunks) {
        TopicPartition partition =
                new TopicPartition(topic.name(), SessionIds.partition(sessionId, partitionCount(topic.name())));
        Instant began = Instant.now();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = consumer("agentlog-client-" + topic.name())) {
            consumer.assign(List.of(partition));
            if (fromOffset >= 0) {
                consumer.seek(partition, fromOffset);
            } else {
                consumer.seekToBeginning(List.of(partition));
            }
            long journalEndAtStart = chunks == null
                    ? -1
                    : consumer.endOffsets(List.of(partition)).get(partition);
            TopicPartition stream = null;
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                if (chunks != null && stream == null && consumer.position(partition) >= journalEndAtStart) {
                    stream = tailChunks(
                            consumer, partition, sessionId, chunks.since().apply(began));
                }
                Duration wait = Duration.ofNanos(Math.min(left, POLL.toNanos()));
                ConsumerRecords<String, byte[]> polled = consumer.poll(wait);
                if (stream != null) {
                    // chunks first: any chunk fetched with its call's final answer was written before that answer
                    for (ConsumerRecord<String, byte[]> record : polled.records(stream)) {
                        if (sessionId.equals(record.key()) && record.value() != null) {
                            StreamChunk.fromJson(new String(record.value(), StandardCharsets.UTF_8))
                                    .filter(chunk -> chunk.sessionId().equals(sessionId))
                                    .ifPresent(chunks.onChunk());
                        }
                    }
                }
                for (ConsumerRecord<String, byte[]> record : polled.records(partition)) {
                    if (!sessionId.equals(record.key()) || record.value() == null) {
                        continue;
                    }
                    Optional<V> value = decode(topic, record);
                    if (value.isPresent() && accept.test(value.get())) {
                        return value;
                    }
                }
            }
        }
    }

    /** Adds the session's {@code agentlog.stream} partition to the consumer, from the chunks written at {@code since}. */
    private TopicPartition tailChunks(
            KafkaConsumer<String, byte[]> consumer, TopicPartition journal, String sessionId, Instant since) {
        TopicPartition stream = new TopicPartition(
                Topics.STREAM.name(), SessionIds.partition(sessionId, partitionCount(Topics.STREAM.name())));
        long position = consumer.position(journal);
        Instant from = since.minus(CHUNK_CLOCK_SKEW);
        Instant earliest = Instant.now().minus(CHUNK_LOOKBACK);
        var found = consumer.offsetsForTimes(Map.of(stream, (from.isBefore(earliest) ? earliest : from).toEpochMilli()))
                .get(stream);
        consumer.assign(List.of(journal, stream));
        consumer.seek(journal, position);
        if (found == null) {
            consumer.seekToEnd(List.of(stream)); // nothing written since then
        } else {
            consumer.seek(stream, found.offset());
        }
        return stream;
    }

    private <V> Optional<V> decode(Topic<String, V> topic, ConsumerRecord<String, byte[]> record) {
        try {
            return Optional.ofNullable(topic.valueSerde().deserializer().deserialize(topic.name(), record.value()));
        } catch (UndecodableRecordException e) {
            log.warn(
                    "Skipping an undecodable record at {}-{}@{} (key {}): {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.key(),
                    e.getMessage());
            return Optional.empty();
        }
    }

    private Marks currentMarks(String sessionId) {
        TopicPartition results = new TopicPartition(
                Topics.RESULTS.name(), SessionIds.partition(sessionId, partitionCount(Topics.RESULTS.name())));
        TopicPartition events = new TopicPartition(
                Topics.EVENTS.name(), SessionIds.partition(sessionId, partitionCount(Topics.EVENTS.name())));
        var offsets = await(
                admin.listOffsets(Map.of(results, OffsetSpec.latest(), events, OffsetSpec.latest()))
                        .all(),
                "read the end offsets of " + results + " and " + events);
        return new Marks(offsets.get(results).offset(), offsets.get(events).offset());
    }

    private <V> void send(Topic<String, V> topic, String key, V value) {
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        try {
            RecordMetadata metadata = producer()
                    .send(new ProducerRecord<>(topic.name(), key, bytes))
                    .get(requestTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
            log.trace("Wrote {} to {}-{}@{}", key, metadata.topic(), metadata.partition(), metadata.offset());
        } catch (ExecutionException e) {
            throw new AgentlogException(
                    "cannot write " + key + " to " + topic.name() + " on " + bootstrapServers + ": "
                            + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new AgentlogException(
                    "Kafka at " + bootstrapServers + " did not acknowledge " + key + " on " + topic.name()
                            + " in time; is it running?",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentlogException("interrupted while writing " + key + " to " + topic.name(), e);
        }
    }

    /** Checks once per topic that it exists, so a missing topic fails at once with what to do about it. */
    private void requireTopics(String... names) {
        List<String> unknown = java.util.Arrays.stream(names)
                .filter(n -> !partitionCounts.containsKey(n))
                .toList();
        if (unknown.isEmpty()) {
            return;
        }
        Map<String, TopicDescription> described;
        try {
            described = admin.describeTopics(unknown)
                    .allTopicNames()
                    .get(requestTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                Set<String> existing = existingTopics();
                List<String> missing =
                        unknown.stream().filter(n -> !existing.contains(n)).toList();
                throw new AgentlogException(
                        "topic" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
                                + (missing.size() == 1 ? " does" : " do") + " not exist on " + bootstrapServers
                                + ": create the topics with `agentlog topics create --bootstrap-servers "
                                + bootstrapServers
                                + "`",
                        e.getCause());
            }
            throw unreachable(e.getCause());
        } catch (TimeoutException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentlogException("interrupted while looking up topics " + unknown, e);
        }
        described.forEach((name, description) ->
                partitionCounts.put(name, description.partitions().size()));
    }

    private Set<String> existingTopics() {
        return await(admin.listTopics().names(), "list topics");
    }

    private AgentlogException unreachable(Throwable cause) {
        return new AgentlogException(
                "Kafka at " + bootstrapServers + " did not answer within "
                        + Durations.format(requestTimeout) + ": is it running? (`agentlog up` starts a local one)"
                        + (overrides.containsKey("security.protocol")
                                ? ""
                                : " If it is a secured cluster (SASL, TLS), give its client properties with"
                                        + " --kafka-config FILE or $" + KafkaClientProperties.ENV + ".")
                        + (cause == null || cause.getMessage() == null ? "" : " [" + cause.getMessage() + "]"),
                cause);
    }

    private <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
        try {
            return future.get(requestTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AgentlogException(
                    "cannot " + what + " on " + bootstrapServers + ": "
                            + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentlogException("interrupted while trying to " + what, e);
        }
    }

    private int partitionCount(String topic) {
        requireTopics(topic);
        return partitionCounts.get(topic);
    }

    private List<TopicPartition> partitions(String topic) {
        int count = partitionCount(topic);
        List<TopicPartition> partitions = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        return partitions;
    }

    private KafkaConsumer<String, byte[]> consumer(String clientId) {
        Map<String, Object> config = base(clientId);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
        config.putAll(overrides);
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private Map<String, Object> base(String clientId) {
        Map<String, Object> config = new HashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId + "-" + Long.toHexString(System.nanoTime() & 0xffffff));
        return config;
    }

    @Override
    public String toString() {
        return "AgentlogClient[" + bootstrapServers + ", remembered sessions " + marks.size() + "]";
    }
}
