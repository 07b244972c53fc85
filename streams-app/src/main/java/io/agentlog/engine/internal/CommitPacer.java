package io.agentlog.engine.internal;

/**
 * When a stream thread asks Streams to commit. Each commit is one exactly-once transaction for all the thread's tasks,
 * and what the broker pays per transaction (coordinator log writes, a marker on every partition the transaction
 * touched) does not depend on how many steps it carries. So: while the thread is nearly idle (fewer than
 * {@link #BUSY_RECORDS} records in the last {@link #WINDOW_MS} ms), every record asks for a commit after the current
 * loop, the lowest latency there is; once it is busy it asks no more, and Streams commits every
 * {@code commit.interval.ms}, sharing one transaction among all steps of that interval. Used by one thread only.
 */
final class CommitPacer {

    static final long WINDOW_MS = 50;
    static final int BUSY_RECORDS = 8;

    private final long[] recent = new long[BUSY_RECORDS];
    private int next;

    /** Notes a record processed at {@code nowMs}; true when the task should ask for a commit now. */
    boolean record(long nowMs) {
        long oldest = recent[next];
        recent[next] = nowMs;
        next = (next + 1) % recent.length;
        return nowMs - oldest > WINDOW_MS;
    }
}
