package io.agentlog.engine.session;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.SessionState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/** A session held in memory: the fold of a journal without Kafka (replay, fork, tests). */
public final class MemorySessionModel implements SessionModel {

    private final String sessionId;
    private SessionState state;
    private final List<Message> history = new ArrayList<>();
    private final TreeMap<String, byte[]> files = new TreeMap<>();
    private final Set<String> blobs = new HashSet<>();

    public MemorySessionModel(String sessionId) {
        this.sessionId = sessionId;
    }

    @Override
    public String sessionId() {
        return sessionId;
    }

    @Override
    public Optional<SessionState> state() {
        return Optional.ofNullable(state);
    }

    @Override
    public void start(SessionState state) {
        this.state = state;
    }

    @Override
    public List<Message> history() {
        return Collections.unmodifiableList(history);
    }

    @Override
    public void appendHistory(long index, Message message) {
        if (index != history.size()) {
            throw new IllegalStateException("session " + sessionId + ": history entry " + index + " appended after "
                    + history.size() + " entries");
        }
        history.add(message);
    }

    @Override
    public Optional<byte[]> file(String path) {
        return Optional.ofNullable(files.get(path));
    }

    @Override
    public SortedMap<String, byte[]> files() {
        return Collections.unmodifiableSortedMap(files);
    }

    @Override
    public void putFile(String path, byte[] content) {
        files.put(path, content);
    }

    @Override
    public void deleteFile(String path) {
        files.remove(path);
    }

    @Override
    public boolean hasBlob(String hash) {
        return blobs.contains(hash);
    }

    @Override
    public void addBlob(String hash) {
        blobs.add(hash);
    }

    /** The content hashes kept on agentlog.blobs. */
    public Set<String> blobs() {
        return Collections.unmodifiableSet(blobs);
    }

    @Override
    public void purge() {
        state = null;
        history.clear();
        files.clear();
        blobs.clear();
    }
}
