package io.agentlog.engine.internal;

import io.agentlog.schemas.avro.Message;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The conversations of recently active sessions, decoded, so a model turn does not read and decode a session's
 * whole history from RocksDB again: turn 200 costs about what turn 1 does. Entries change only after a step was
 * applied and are checked against the state's history size before use, so the cache never answers with a
 * conversation the stores do not hold. Bounded by sessions and by messages; least recently used first out.
 */
final class HistoryCache {

    static final int MAX_SESSIONS = 2_000;
    static final int MAX_MESSAGES = 200_000;

    private int messages;

    private final LinkedHashMap<String, List<Message>> bySession = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Message>> eldest) {
            if (size() > MAX_SESSIONS || messages > MAX_MESSAGES) {
                messages -= eldest.getValue().size();
                return true;
            }
            return false;
        }
    };

    /** The session's conversation when the cache holds exactly {@code size} messages of it. */
    Optional<List<Message>> get(String sessionId, long size) {
        List<Message> cached = bySession.get(sessionId);
        if (cached == null || cached.size() != size) {
            return Optional.empty();
        }
        return Optional.of(Collections.unmodifiableList(cached));
    }

    /** A conversation read from the store. */
    void put(String sessionId, List<Message> history) {
        remove(sessionId);
        List<Message> copy = new ArrayList<>(history);
        messages += copy.size();
        bySession.put(sessionId, copy);
    }

    /** Messages an applied step appended at {@code from}; a cache that does not end there forgets the session. */
    void appended(String sessionId, long from, List<Message> added) {
        List<Message> cached = bySession.get(sessionId);
        if (cached == null) {
            return;
        }
        if (cached.size() != from) {
            remove(sessionId);
            return;
        }
        cached.addAll(added);
        messages += added.size();
    }

    void remove(String sessionId) {
        List<Message> gone = bySession.remove(sessionId);
        if (gone != null) {
            messages -= gone.size();
        }
    }
}
