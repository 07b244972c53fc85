package io.agentlog.engine.internal;

import io.agentlog.engine.EngineTopology;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.SessionState;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** The session processor's stores, fetched once in {@code init()} (Streams owns and closes them). */
final class SessionStores {

    private static final StringSerializer KEYS = new StringSerializer();

    final KeyValueStore<String, SessionState> sessions;
    final KeyValueStore<String, Message> history;
    final KeyValueStore<String, byte[]> workspace;
    final KeyValueStore<String, byte[]> blobs;
    final KeyValueStore<String, String> timers;

    SessionStores(ProcessorContext<?, ?> context) {
        this.sessions = context.getStateStore(EngineTopology.SESSIONS_STORE);
        this.history = context.getStateStore(EngineTopology.HISTORY_STORE);
        this.workspace = context.getStateStore(EngineTopology.WORKSPACE_STORE);
        this.blobs = context.getStateStore(EngineTopology.BLOBS_STORE);
        this.timers = context.getStateStore(EngineTopology.TIMERS_STORE);
    }

    /** Every entry of a session in a store keyed {@code sessionId/...}, in key order. */
    static <V> List<KeyValue<String, V>> scan(KeyValueStore<String, V> store, String sessionId) {
        List<KeyValue<String, V>> out = new ArrayList<>();
        try (KeyValueIterator<String, V> it = store.prefixScan(Keys.sessionPrefix(sessionId), KEYS)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /** Deletes every entry of a session in a store keyed {@code sessionId/...}; returns the keys deleted. */
    static <V> List<String> deleteAll(KeyValueStore<String, V> store, String sessionId) {
        List<String> keys = scan(store, sessionId).stream().map(kv -> kv.key).toList();
        keys.forEach(store::delete);
        return keys;
    }
}
