package io.agentlog.engine;

import io.agentlog.engine.internal.AgentStoreUpdater;
import io.agentlog.engine.internal.AgentsCatchUp;
import io.agentlog.engine.internal.EngineMetrics;
import io.agentlog.engine.internal.HistoryCache;
import io.agentlog.engine.internal.InputPartitions;
import io.agentlog.engine.internal.OutputRecord;
import io.agentlog.engine.internal.ProductionFailures;
import io.agentlog.engine.internal.SessionProcessor;
import io.agentlog.engine.internal.SpendUpdater;
import io.agentlog.engine.internal.StepTracing;
import io.agentlog.engine.internal.WorkPools;
import io.agentlog.engine.session.StepFaults;
import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.SessionState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The engine's topology, every node and store name in one place.
 *
 * <p>Design: the three input topics (tasks, control, work results) are co-partitioned by session
 * id and feed one processor, {@link SessionProcessor}. Each input record is one step of one
 * session: decided on a buffered model of the session (journal events folded as they are emitted,
 * see {@code io.agentlog.engine.session}) and then applied all at once — store writes, journal
 * events, work requests, results — or not at all. Per session the stores keep a small
 * {@code sessions} record, the conversation as one {@code history} entry per message (key
 * {@code sessionId/seq}, read by prefix scan, so no record grows without bound), the durable
 * {@code workspace} files, references to large file contents kept on {@code agentlog.blobs}
 * ({@code blobs}) and {@code timers} keyed by deadline, derived from the state, for a wall-clock
 * punctuator. Agent definitions come from the compacted agents topic into a global store. Every
 * record the processor emits goes through one sink, encoded and size-checked beforehand, in the
 * same exactly-once transaction as the store changes and the input offsets, so a crash anywhere
 * replays to the same state.
 */
public final class EngineTopology {

    public static final String TASKS_SOURCE = "tasks-source";
    public static final String CONTROL_SOURCE = "control-source";
    public static final String WORK_RESULTS_SOURCE = "work-results-source";
    public static final String AGENTS_SOURCE = "agents-source";

    public static final String SESSION_PROCESSOR = "session-processor";
    public static final String AGENTS_UPDATER = "agents-updater";

    /** Events, results, work requests, blobs, DLQ records and records written back to an input topic. */
    public static final String OUTPUT_SINK = "output-sink";

    public static final String SESSIONS_STORE = "sessions";
    public static final String HISTORY_STORE = "history";
    public static final String WORKSPACE_STORE = "workspace";
    public static final String BLOBS_STORE = "blobs";
    /** Global: micro-dollars each agent spent per UTC day, summed from agentlog.spend. */
    public static final String SPEND_STORE = "agent-spend";

    static final String SPEND_SOURCE = "spend-source";
    static final String SPEND_UPDATER = "spend-updater";
    public static final String TIMERS_STORE = "timers";
    public static final String AGENTS_STORE = "agents";

    /**
     * A history entry holds a whole model turn (tool-call arguments included) and may pass the
     * broker's default 1 MB, up to the limit of a work record, like the journal event beside it.
     */
    private static final Map<String, String> LARGE_CHANGELOG =
            Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topics.MAX_WORK_RECORD_BYTES));

    private EngineTopology() {}

    public static Topology build(EngineConfig config, WorkPools pools, InputPartitions partitions) {
        return build(
                config,
                pools,
                partitions,
                new ProductionFailures(),
                StepFaults.NONE,
                AgentsCatchUp.inline(),
                new EngineMetrics(new SimpleMeterRegistry()),
                StepTracing.OFF);
    }

    public static Topology build(
            EngineConfig config,
            WorkPools pools,
            InputPartitions partitions,
            ProductionFailures failures,
            StepFaults faults,
            AgentsCatchUp catchUp,
            EngineMetrics metrics,
            StepTracing tracing) {
        var keys = Serdes.String();
        Topology topology = new Topology();
        HistoryCache history = new HistoryCache(HistoryCache.DEFAULT_MAX_BYTES);

        topology.addSource(
                TASKS_SOURCE, keys.deserializer(), Topics.TASKS.valueSerde().deserializer(), Topics.TASKS.name());
        topology.addSource(
                CONTROL_SOURCE, keys.deserializer(), Topics.CONTROL.valueSerde().deserializer(), Topics.CONTROL.name());
        topology.addSource(
                WORK_RESULTS_SOURCE,
                keys.deserializer(),
                Topics.WORK_RESULTS.valueSerde().deserializer(),
                Topics.WORK_RESULTS.name());

        topology.addProcessor(
                SESSION_PROCESSOR,
                () -> new SessionProcessor(
                        config, pools, partitions, failures, faults, history, catchUp, metrics, tracing),
                TASKS_SOURCE,
                CONTROL_SOURCE,
                WORK_RESULTS_SOURCE);

        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(SESSIONS_STORE), keys, AvroSerde.of(SessionState.class))
                        .withLoggingEnabled(LARGE_CHANGELOG),
                SESSION_PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(HISTORY_STORE), keys, AvroSerde.of(Message.class))
                        .withLoggingEnabled(LARGE_CHANGELOG),
                SESSION_PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WORKSPACE_STORE), keys, Serdes.ByteArray())
                        .withLoggingEnabled(LARGE_CHANGELOG),
                SESSION_PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BLOBS_STORE), keys, Serdes.ByteArray()),
                SESSION_PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TIMERS_STORE), keys, keys),
                SESSION_PROCESSOR);

        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AGENTS_STORE), keys, Serdes.ByteArray())
                        .withLoggingDisabled(),
                AGENTS_SOURCE,
                keys.deserializer(),
                Serdes.ByteArray().deserializer(),
                Topics.AGENTS.name(),
                AGENTS_UPDATER,
                () -> new AgentStoreUpdater(catchUp));

        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SPEND_STORE), keys, Serdes.Long())
                        .withLoggingDisabled(),
                SPEND_SOURCE,
                keys.deserializer(),
                Serdes.ByteArray().deserializer(),
                Topics.SPEND.name(),
                SPEND_UPDATER,
                SpendUpdater::new);

        topology.addSink(
                OUTPUT_SINK,
                (key, value, context) -> value.topic(),
                keys.serializer(),
                new OutputRecord.ValueSerializer(),
                new OutputRecord.Partitioner(),
                SESSION_PROCESSOR);
        return topology;
    }
}
