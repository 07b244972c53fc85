package io.agentlog.engine.internal;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ToolCall;
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
 * conversation the stores do not hold. One cache per engine process (shared by its tasks and stream threads),
 * bounded by the approximate bytes of the messages it holds; least recently used first out.
 */
public final class HistoryCache {

    /** The default bound: a few thousand typical conversations, far below the engine's heap. */
    public static final long DEFAULT_MAX_BYTES = 32L * 1024 * 1024;

    /** What a message costs beyond its text (object headers, fields, list slot). */
    private static final int MESSAGE_OVERHEAD = 96;

    private final long maxBytes;
    private long bytes;

    /** A conversation, the start of the session it belongs to (an id may be reused after retention) and its size. */
    private record Cached(long startedAt, List<Message> messages, long bytes) {}

    private final LinkedHashMap<String, Cached> bySession = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            if (bytes > maxBytes) {
                bytes -= eldest.getValue().bytes();
                return true;
            }
            return false;
        }
    };

    public HistoryCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The conversation of the session started at {@code startedAt}, when the cache holds exactly {@code size} messages. */
    synchronized Optional<List<Message>> get(String sessionId, long startedAt, long size) {
        Cached cached = bySession.get(sessionId);
        if (cached == null
                || cached.startedAt() != startedAt
                || cached.messages().size() != size) {
            return Optional.empty();
        }
        return Optional.of(Collections.unmodifiableList(new ArrayList<>(cached.messages())));
    }

    /** A conversation read from the store. */
    synchronized void put(String sessionId, long startedAt, List<Message> history) {
        remove(sessionId);
        List<Message> copy = new ArrayList<>(history);
        long size = size(copy);
        if (size > maxBytes / 4) {
            return; // one conversation may not push out all others
        }
        bytes += size;
        bySession.put(sessionId, new Cached(startedAt, copy, size));
    }

    /** Messages an applied step appended at {@code from}; a cache that does not end there forgets the session. */
    synchronized void appended(String sessionId, long from, List<Message> added) {
        Cached cached = bySession.get(sessionId);
        if (cached == null) {
            return;
        }
        if (cached.messages().size() != from) {
            remove(sessionId);
            return;
        }
        List<Message> grown = cached.messages();
        grown.addAll(added);
        long size = cached.bytes() + size(added);
        bytes += size - cached.bytes();
        bySession.put(sessionId, new Cached(cached.startedAt(), grown, size));
        if (size > maxBytes / 4) {
            remove(sessionId);
        }
    }

    synchronized void remove(String sessionId) {
        Cached gone = bySession.remove(sessionId);
        if (gone != null) {
            bytes -= gone.bytes();
        }
    }

    private static long size(List<Message> messages) {
        long total = 0;
        for (Message message : messages) {
            total += MESSAGE_OVERHEAD + 2L * message.getContent().length();
            for (ToolCall call : message.getToolCalls()) {
                total += MESSAGE_OVERHEAD
                        + 2L * (call.getArguments().length() + call.getName().length());
            }
        }
        return total;
    }
}
