package io.agentlog.engine;

import io.agentlog.engine.session.MemorySessionModel;
import io.agentlog.engine.session.Timers;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.SessionState;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Everything the engine's stores hold for one session, read from a {@link TopologyTestDriver}, in a form that
 * compares by value (file contents as text of their bytes).
 */
record StoreSnapshot(
        SessionState state, List<Message> history, Map<String, String> files, Set<String> blobs, Set<String> timers) {

    static StoreSnapshot of(TopologyTestDriver driver, String sessionId) {
        KeyValueStore<String, SessionState> sessions = driver.getKeyValueStore(EngineTopology.SESSIONS_STORE);
        KeyValueStore<String, Message> history = driver.getKeyValueStore(EngineTopology.HISTORY_STORE);
        KeyValueStore<String, byte[]> workspace = driver.getKeyValueStore(EngineTopology.WORKSPACE_STORE);
        KeyValueStore<String, byte[]> blobs = driver.getKeyValueStore(EngineTopology.BLOBS_STORE);
        KeyValueStore<String, String> timers = driver.getKeyValueStore(EngineTopology.TIMERS_STORE);
        String prefix = sessionId + "/";
        List<Message> messages = new ArrayList<>();
        scan(history, prefix).forEach((key, value) -> messages.add(value));
        Map<String, String> files = new TreeMap<>();
        scan(workspace, prefix).forEach((key, value) -> files.put(key.substring(prefix.length()), text(value)));
        Set<String> blobKeys = new TreeSet<>();
        scan(blobs, prefix).keySet().forEach(key -> blobKeys.add(key.substring(prefix.length())));
        Set<String> timerIds = new TreeSet<>();
        try (KeyValueIterator<String, String> it = timers.all()) {
            it.forEachRemaining(kv -> {
                if (kv.value.equals(sessionId)) {
                    timerIds.add(kv.key.substring(kv.key.lastIndexOf('/') + 1) + "@"
                            + Long.parseLong(kv.key.substring(0, 16)));
                }
            });
        }
        return new StoreSnapshot(sessions.get(sessionId), messages, files, blobKeys, timerIds);
    }

    /** What the stores would hold if they were exactly the fold of the session's journal. */
    static StoreSnapshot of(MemorySessionModel model, EngineConfig config) {
        Map<String, String> files = new TreeMap<>();
        model.files().forEach((path, bytes) -> files.put(path, text(bytes)));
        Set<String> timerIds = model.state()
                .map(state -> Timers.of(state, config).entrySet().stream()
                        .map(e -> e.getKey() + "@" + e.getValue())
                        .collect(Collectors.toCollection(TreeSet::new)))
                .orElseGet(TreeSet::new);
        return new StoreSnapshot(
                model.state().orElse(null), model.history(), files, new TreeSet<>(model.blobs()), timerIds);
    }

    private static <V> Map<String, V> scan(KeyValueStore<String, V> store, String prefix) {
        Map<String, V> out = new TreeMap<>();
        try (KeyValueIterator<String, V> it = store.prefixScan(prefix, new StringSerializer())) {
            it.forEachRemaining(kv -> out.put(kv.key, kv.value));
        }
        return out;
    }

    /** A file's length and SHA-256. */
    private static String text(byte[] bytes) {
        try {
            return Objects.requireNonNull(bytes).length + ":"
                    + HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
