package io.agentlog.engine;

import io.agentlog.engine.internal.AgentStoreUpdater;
import io.agentlog.engine.internal.AnyRecordSerializer;
import io.agentlog.engine.internal.SessionProcessor;
import io.agentlog.engine.internal.WorkPools;
import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.WorkRequest;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The engine's topology, every node and store name in one place.
 *
 * <p>Design: the three input topics (tasks, control, work results) are co-partitioned by session
 * id and feed one processor, {@link SessionProcessor}, which owns the session state machine and
 * the stores. Per session it keeps a small {@code sessions} record, the conversation as one
 * {@code history} entry per message (key {@code sessionId/seq}, read by prefix scan, so no record
 * grows without bound), the durable {@code workspace} files and {@code timers} keyed by deadline
 * for a wall-clock punctuator. Agent definitions come from the compacted agents topic into a
 * global store. Everything the processor emits (journal events, terminal results, work requests
 * to {@code agentlog.work.<pool>}, DLQ records) is written in the same exactly-once transaction
 * as the store changes and the input offsets, so a crash anywhere replays to the same state.
 */
public final class EngineTopology {

    public static final String TASKS_SOURCE = "tasks-source";
    public static final String CONTROL_SOURCE = "control-source";
    public static final String WORK_RESULTS_SOURCE = "work-results-source";
    public static final String AGENTS_SOURCE = "agents-source";

    public static final String SESSION_PROCESSOR = "session-processor";
    public static final String AGENTS_UPDATER = "agents-updater";

    public static final String EVENTS_SINK = "events-sink";
    public static final String RESULTS_SINK = "results-sink";
    public static final String WORK_SINK = "work-sink";
    public static final String TASKS_SINK = "tasks-sink";
    public static final String CONTROL_SINK = "control-sink";
    public static final String DLQ_SINK = "dlq-sink";

    public static final String SESSIONS_STORE = "sessions";
    public static final String HISTORY_STORE = "history";
    public static final String WORKSPACE_STORE = "workspace";
    public static final String TIMERS_STORE = "timers";
    public static final String AGENTS_STORE = "agents";

    /**
     * A history entry holds a whole model turn (tool-call arguments included) and may pass the
     * broker's default 1 MB, up to the limit of a work record, like the journal event beside it.
     */
    private static final Map<String, String> LARGE_CHANGELOG =
            Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topics.MAX_WORK_RECORD_BYTES));

    private EngineTopology() {}

    public static Topology build(EngineConfig config, WorkPools pools) {
        var keys = Serdes.String();
        Topology topology = new Topology();

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
                () -> new SessionProcessor(config, pools),
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
                AgentStoreUpdater::new);

        topology.addSink(
                EVENTS_SINK,
                Topics.EVENTS.name(),
                keys.serializer(),
                Topics.EVENTS.valueSerde().serializer(),
                SESSION_PROCESSOR);
        topology.addSink(
                RESULTS_SINK,
                Topics.RESULTS.name(),
                keys.serializer(),
                Topics.RESULTS.valueSerde().serializer(),
                SESSION_PROCESSOR);
        topology.addSink(
                WORK_SINK,
                (key, value, context) -> Topics.workTopicName(((WorkRequest) value).getPool()),
                keys.serializer(),
                AvroSerde.of(WorkRequest.class).serializer(),
                SESSION_PROCESSOR);
        topology.addSink(
                TASKS_SINK,
                Topics.TASKS.name(),
                keys.serializer(),
                Topics.TASKS.valueSerde().serializer(),
                SESSION_PROCESSOR);
        topology.addSink(
                CONTROL_SINK,
                Topics.CONTROL.name(),
                keys.serializer(),
                Topics.CONTROL.valueSerde().serializer(),
                SESSION_PROCESSOR);
        topology.addSink(DLQ_SINK, Topics.DLQ.name(), keys.serializer(), new AnyRecordSerializer(), SESSION_PROCESSOR);
        return topology;
    }
}
