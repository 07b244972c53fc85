package io.agentlog.schemas;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SpendRecorded;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.WorkCancelled;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic contract: every topic agentlog reads or writes, in one place. Every key is the session
 * id, except on {@link #AGENTS} (keyed {@code name@version}).
 *
 * <p>Partition counts bound the engine's parallelism (one stream task per partition of the input
 * topics), not the workers', which share work through share groups. All topics that the engine
 * reads as one co-partitioned stream (tasks, control, work results) have the same count.
 */
public final class Topics {

    /** Partitions of every per-session topic. The input topics must agree, or the engine cannot co-partition. */
    public static final int SESSION_PARTITIONS = 6;

    /**
     * Partitions of each work topic. Workers are not bound by it (share groups hand one partition to
     * many consumers), but the share assignor gives each partition ceil(members / partitions) members
     * and a worker lane busy with its batch takes no new records, so more partitions spread the work
     * over more lanes. No one reads work topics co-partitioned, so this need not match the sessions'.
     */
    public static final int WORK_PARTITIONS = 12;

    private static final Map<String, String> DELETE_7_DAYS = Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG,
            TopicConfig.CLEANUP_POLICY_DELETE,
            TopicConfig.RETENTION_MS_CONFIG,
            String.valueOf(7L * 24 * 3600 * 1000));

    /**
     * Largest record on the work topics and the work results topic: a sandboxed tool call carries a
     * copy of the session workspace and its result the changed files. Producers writing there set
     * {@code max.request.size} to this.
     */
    public static final int MAX_WORK_RECORD_BYTES = 20 * 1024 * 1024;

    private static final Map<String, String> WORK_CONFIGS = Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
            TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(MAX_WORK_RECORD_BYTES));

    /** Journal events may carry a whole model turn (tool-call arguments included). */
    private static final Map<String, String> EVENTS_CONFIGS = Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
            TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(MAX_WORK_RECORD_BYTES));

    /** Room for a capped value and key ({@link DlqHeaders#MAX_VALUE_BYTES}) and the headers. */
    public static final int MAX_DLQ_RECORD_BYTES = 2 * 1024 * 1024;

    private static final Map<String, String> COMPACTED =
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);

    /** The pool names workers serve by default. */
    public static final String MODEL_POOL = "model";

    public static final String TOOLS_POOL = "tools";

    /** Untrusted code: bash, Python and JavaScript in sandboxes, with a copy of the session workspace. */
    public static final String SANDBOX_POOL = "sandbox";

    /** The pseudo-pool of tools that run inline in the engine (workspace file tools). */
    public static final String ENGINE_POOL = "engine";

    private static final Pattern POOL_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    private static final Serde<String> KEYS = Serdes.String();

    public static final Topic<String, TaskSubmitted> TASKS =
            new Topic<>("agentlog.tasks", KEYS, InputSerde.tasks(), SESSION_PARTITIONS, DELETE_7_DAYS);

    public static final Topic<String, ControlCommand> CONTROL =
            new Topic<>("agentlog.control", KEYS, InputSerde.control(), SESSION_PARTITIONS, DELETE_7_DAYS);

    public static final Topic<String, WorkResult> WORK_RESULTS = new Topic<>(
            "agentlog.work.results", KEYS, AvroSerde.of(WorkResult.class), SESSION_PARTITIONS, WORK_CONFIGS);

    public static final Topic<String, SessionEvent> EVENTS =
            new Topic<>("agentlog.events", KEYS, AvroSerde.of(SessionEvent.class), SESSION_PARTITIONS, EVENTS_CONFIGS);

    /** A terminal record carries the final answer, which may be several times the content cap. */
    public static final Topic<String, SessionResult> RESULTS = new Topic<>(
            "agentlog.results", KEYS, AvroSerde.of(SessionResult.class), SESSION_PARTITIONS, EVENTS_CONFIGS);

    /**
     * Work items nobody waits for any more: workers stop them where they can and skip them when they come. Kept a
     * day: a worker looks back only minutes when it starts.
     */
    public static final Topic<String, WorkCancelled> CANCELS = new Topic<>(
            "agentlog.cancels",
            KEYS,
            AvroSerde.of(WorkCancelled.class),
            SESSION_PARTITIONS,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(24L * 3600 * 1000)));

    /**
     * Priced model calls keyed {@code agent/day}, which every engine sums (a global store) into each agent's spend
     * of the day for {@code limits.maxAgentCostMicrosPerDay}. Only the day matters, so a week is kept.
     */
    public static final Topic<String, SpendRecorded> SPEND = new Topic<>(
            "agentlog.spend",
            KEYS,
            AvroSerde.of(SpendRecorded.class),
            1,
            Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG,
                    TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG,
                    String.valueOf(7L * 24 * 3600 * 1000)));

    /** Token and progress chunks: best effort, not part of any session's state. */
    public static final Topic<String, String> STREAM = new Topic<>(
            "agentlog.stream",
            KEYS,
            Serdes.String(),
            SESSION_PARTITIONS,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(24L * 3600 * 1000)));

    /** Agent definitions keyed {@code name@version}; compacted, so the newest of each version stays. */
    public static final Topic<String, AgentDefinition> AGENTS =
            new Topic<>("agentlog.agents", KEYS, AvroSerde.of(AgentDefinition.class), 1, COMPACTED);

    /**
     * Workspace file contents too large to travel inline in a {@code FileWritten} journal event, keyed
     * {@code sessionId/sha256}; compacted, and tombstoned when the session's retention ends. With the
     * journal they rebuild every workspace.
     */
    public static final Topic<String, byte[]> BLOBS = new Topic<>(
            "agentlog.blobs",
            KEYS,
            Serdes.ByteArray(),
            SESSION_PARTITIONS,
            Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG,
                    TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                    String.valueOf(MAX_WORK_RECORD_BYTES)));

    /** Records that could not be processed; the original key and value, the reason in headers ({@link DlqHeaders}). */
    public static final Topic<byte[], byte[]> DLQ = new Topic<>(
            "agentlog.dlq",
            Serdes.ByteArray(),
            Serdes.ByteArray(),
            1,
            Map.of(
                    TopicConfig.RETENTION_MS_CONFIG,
                    String.valueOf(30L * 24 * 3600 * 1000),
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                    String.valueOf(MAX_DLQ_RECORD_BYTES)));

    /** The default worker pools: model calls, worker-side tools, sandboxed code. */
    public static final List<String> DEFAULT_POOLS = List.of(MODEL_POOL, TOOLS_POOL, SANDBOX_POOL);

    /** {@link #DEFAULT_POOLS} as a comma-separated constant, for annotations and environment defaults. */
    public static final String DEFAULT_POOLS_TEXT = MODEL_POOL + "," + TOOLS_POOL + "," + SANDBOX_POOL;

    private Topics() {}

    /** The work topic of a pool: {@code agentlog.work.<pool>}. */
    public static Topic<String, WorkRequest> work(String pool) {
        return new Topic<>(workTopicName(pool), KEYS, AvroSerde.of(WorkRequest.class), WORK_PARTITIONS, WORK_CONFIGS);
    }

    public static String workTopicName(String pool) {
        return "agentlog.work." + validPool(pool);
    }

    /** The share group of a pool's workers: {@code agentlog-<pool>}. */
    public static String shareGroup(String pool) {
        return "agentlog-" + validPool(pool);
    }

    public static String validPool(String pool) {
        if (pool == null || !POOL_NAME.matcher(pool).matches() || pool.equals("results") || pool.equals(ENGINE_POOL)) {
            throw new IllegalArgumentException("pool name must match " + POOL_NAME.pattern()
                    + " and not be 'results' or 'engine', but was '" + pool + "'");
        }
        return pool;
    }

    /** The topics a stack with the given worker pools needs. */
    public static List<Topic<?, ?>> all(List<String> pools) {
        var topics = new java.util.ArrayList<Topic<?, ?>>(
                List.of(TASKS, CONTROL, WORK_RESULTS, EVENTS, RESULTS, STREAM, AGENTS, BLOBS, DLQ, CANCELS, SPEND));
        pools.forEach(pool -> topics.add(work(pool)));
        return List.copyOf(topics);
    }

    /**
     * The largest record a topic of the contract accepts (its {@code max.message.bytes}, else the broker's
     * default); any work topic takes {@link #MAX_WORK_RECORD_BYTES}.
     */
    public static int maxRecordBytes(String topic) {
        if (topic.startsWith("agentlog.work.")) {
            return MAX_WORK_RECORD_BYTES;
        }
        for (Topic<?, ?> known : all(List.of())) {
            if (known.name().equals(topic)) {
                String max = known.configs().get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
                return max == null ? BROKER_DEFAULT_MAX_MESSAGE_BYTES : Integer.parseInt(max);
            }
        }
        return BROKER_DEFAULT_MAX_MESSAGE_BYTES;
    }

    /** The broker's default {@code message.max.bytes}. */
    public static final int BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;

    /** Key of a workspace content on {@link #BLOBS}: {@code sessionId/sha256}. */
    public static String blobKey(String sessionId, String hash) {
        return sessionId + "/" + hash;
    }

    /** Key of an agent's spend of a UTC day on {@link #SPEND}: {@code agent/yyyy-MM-dd}. */
    public static String spendKey(String agent, String day) {
        return agent + "/" + day;
    }

    /** Key of an agent definition on {@link #AGENTS}. */
    public static String agentKey(String name, int version) {
        return name + "@" + version;
    }
}
