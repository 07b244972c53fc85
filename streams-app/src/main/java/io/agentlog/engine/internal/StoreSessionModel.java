package io.agentlog.engine.internal;

import io.agentlog.engine.session.SessionModel;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.SessionState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * One session as the stores hold it, with every change of the current step buffered on top: reads see the
 * buffer, the stores change only when {@link StepWriter} applies the step. A step that throws is dropped with its
 * buffer, so the stores never hold half a step.
 */
final class StoreSessionModel implements SessionModel {

    private final SessionStores stores;
    private final HistoryCache cache;
    private final String sessionId;
    /** The state as stored before the step (a private copy), for the timer difference. */
    private final SessionState before;

    private SessionState state;
    private List<Message> storedHistory;
    private final List<Message> appended = new ArrayList<>();
    private long firstAppended = -1;
    private TreeMap<String, byte[]> storedFiles;
    private final TreeMap<String, Optional<byte[]>> fileChanges = new TreeMap<>();
    private final Set<String> addedBlobs = new HashSet<>();
    private boolean purged;

    private StoreSessionModel(SessionStores stores, HistoryCache cache, String sessionId) {
        this.stores = stores;
        this.cache = cache;
        this.sessionId = sessionId;
        this.before = stores.sessions.get(sessionId);
        this.state = before == null ? null : SessionState.newBuilder(before).build();
    }

    static StoreSessionModel load(SessionStores stores, HistoryCache cache, String sessionId) {
        return new StoreSessionModel(stores, cache, sessionId);
    }

    @Override
    public String sessionId() {
        return sessionId;
    }

    @Override
    public Optional<SessionState> state() {
        return Optional.ofNullable(state);
    }

    Optional<SessionState> before() {
        return Optional.ofNullable(before);
    }

    @Override
    public void start(SessionState started) {
        this.state = started;
    }

    @Override
    public List<Message> history() {
        List<Message> all = new ArrayList<>(storedHistory());
        all.addAll(appended);
        return Collections.unmodifiableList(all);
    }

    private List<Message> storedHistory() {
        if (storedHistory == null) {
            if (purged || before == null) {
                storedHistory = List.of();
            } else {
                long startedAt = before.getStartedAt().toEpochMilli();
                storedHistory = cache.get(sessionId, startedAt, before.getHistorySize())
                        .orElseGet(() -> {
                            List<Message> read = SessionStores.scan(stores.history, sessionId).stream()
                                    .map(kv -> kv.value)
                                    .toList();
                            cache.put(sessionId, startedAt, read);
                            return read;
                        });
            }
        }
        return storedHistory;
    }

    /** Tells the cache what the applied step changed. */
    void applied() {
        if (purged) {
            cache.remove(sessionId);
        } else if (!appended.isEmpty()) {
            cache.appended(sessionId, firstAppended, appended);
        }
    }

    @Override
    public void appendHistory(long index, Message message) {
        if (firstAppended < 0) {
            firstAppended = index;
        } else if (index != firstAppended + appended.size()) {
            throw new IllegalStateException("session " + sessionId + ": history entry " + index + " appended after "
                    + (firstAppended + appended.size()));
        }
        appended.add(message);
    }

    @Override
    public Optional<byte[]> file(String path) {
        Optional<byte[]> changed = fileChanges.get(path);
        if (changed != null) {
            return changed;
        }
        if (storedFiles != null || purged) {
            return Optional.ofNullable(storedFiles().get(path));
        }
        return Optional.ofNullable(stores.workspace.get(Keys.workspace(sessionId, path)));
    }

    @Override
    public SortedMap<String, byte[]> files() {
        return withChanges(storedFiles(), "");
    }

    /** Reads only the files under the prefix (a range of the store) unless the whole workspace is loaded already. */
    @Override
    public SortedMap<String, byte[]> files(String prefix) {
        if (storedFiles != null || purged) {
            return withChanges(storedFiles().subMap(prefix, prefix + Character.MAX_VALUE), prefix);
        }
        TreeMap<String, byte[]> stored = new TreeMap<>();
        int keyPrefix = Keys.sessionPrefix(sessionId).length();
        try (KeyValueIterator<String, byte[]> it =
                stores.workspace.prefixScan(Keys.workspace(sessionId, prefix), new StringSerializer())) {
            it.forEachRemaining(kv -> stored.put(kv.key.substring(keyPrefix), kv.value));
        }
        return withChanges(stored, prefix);
    }

    /** Stored files with this step's changes under {@code prefix} applied. */
    private SortedMap<String, byte[]> withChanges(SortedMap<String, byte[]> stored, String prefix) {
        TreeMap<String, byte[]> all = new TreeMap<>(stored);
        fileChanges.forEach((path, content) -> {
            if (!path.startsWith(prefix)) {
                return;
            }
            if (content.isPresent()) {
                all.put(path, content.get());
            } else {
                all.remove(path);
            }
        });
        return Collections.unmodifiableSortedMap(all);
    }

    private TreeMap<String, byte[]> storedFiles() {
        if (storedFiles == null) {
            storedFiles = new TreeMap<>();
            if (!purged) {
                int prefix = Keys.sessionPrefix(sessionId).length();
                for (KeyValue<String, byte[]> kv : SessionStores.scan(stores.workspace, sessionId)) {
                    storedFiles.put(kv.key.substring(prefix), kv.value);
                }
            }
        }
        return storedFiles;
    }

    @Override
    public void putFile(String path, byte[] content) {
        fileChanges.put(path, Optional.of(content));
    }

    @Override
    public void deleteFile(String path) {
        fileChanges.put(path, Optional.empty());
    }

    @Override
    public boolean hasBlob(String hash) {
        return addedBlobs.contains(hash) || (!purged && stores.blobs.get(Keys.blob(sessionId, hash)) != null);
    }

    @Override
    public void addBlob(String hash) {
        addedBlobs.add(hash);
    }

    @Override
    public void purge() {
        state = null;
        purged = true;
        storedHistory = List.of();
        storedFiles = new TreeMap<>();
        appended.clear();
        fileChanges.clear();
        addedBlobs.clear();
    }

    boolean purged() {
        return purged;
    }

    // ---- what the step changed, for StepWriter ----

    long firstAppended() {
        return firstAppended;
    }

    List<Message> appended() {
        return appended;
    }

    Map<String, Optional<byte[]>> fileChanges() {
        return fileChanges;
    }

    Set<String> addedBlobs() {
        return addedBlobs;
    }
}
