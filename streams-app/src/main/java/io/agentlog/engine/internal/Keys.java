package io.agentlog.engine.internal;

import io.agentlog.schemas.Topics;

/**
 * Store keys. Session ids ({@link io.agentlog.schemas.SessionIds#VALID}) never contain '/', so
 * {@code sessionId + "/"} is a safe prefix of everything a session keeps.
 */
final class Keys {

    private Keys() {}

    static String sessionPrefix(String sessionId) {
        return sessionId + "/";
    }

    static String history(String sessionId, long seq) {
        return String.format("%s/%012d", sessionId, seq);
    }

    static String workspace(String sessionId, String path) {
        return sessionId + "/" + path;
    }

    /** A workspace content kept on agentlog.blobs: the blob record's key and its reference in the blobs store. */
    static String blob(String sessionId, String hash) {
        return Topics.blobKey(sessionId, hash);
    }

    /** Timer keys sort by deadline: {@code 0001700000000000/sessionId/id}. */
    static String timer(long deadlineMs, String sessionId, String id) {
        return String.format("%016d/%s/%s", Math.max(deadlineMs, 0), sessionId, id);
    }

    static String timersFrom() {
        return timer(0, "", "");
    }

    static String timersUpTo(long nowMs) {
        return String.format("%016d/~", nowMs);
    }

    /** Everything in the timers store, earliest first. */
    static String timersUpToEnd() {
        return timersUpTo(Long.MAX_VALUE);
    }

    /** The deadline of a timer key. */
    static long timerDue(String key) {
        return Long.parseLong(key, 0, key.indexOf('/'), 10);
    }

    /** [sessionId, id] of a timer key. */
    static String[] timerParts(String key) {
        int first = key.indexOf('/');
        int second = key.indexOf('/', first + 1);
        return new String[] {key.substring(first + 1, second), key.substring(second + 1)};
    }
}
