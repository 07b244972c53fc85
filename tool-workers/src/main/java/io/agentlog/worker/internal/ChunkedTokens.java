package io.agentlog.worker.internal;

import io.agentlog.schemas.StreamChunk;
import io.agentlog.worker.model.TokenStream;
import java.time.Clock;
import java.util.function.Consumer;

/**
 * A model call attempt's {@link TokenStream}: gathers the text into chunks of about {@value #CHUNK_CHARS} characters
 * (a record per token would cost more than the tokens) and hands each, numbered, to {@code sink}; {@link #flush} sends
 * the rest once the call returns. Not thread-safe: one attempt, one thread.
 */
final class ChunkedTokens implements TokenStream {

    static final int CHUNK_CHARS = 32;

    private final String sessionId;
    private final String workId;
    private final String attempt;
    private final Consumer<StreamChunk> sink;
    private final Clock clock;
    private final StringBuilder pending = new StringBuilder();
    private int index;

    /**
     * @param attempt this attempt of the call, unique among all of its attempts: a reader that sees a new one starts
     *     the answer over
     */
    ChunkedTokens(String sessionId, String workId, String attempt, Consumer<StreamChunk> sink, Clock clock) {
        this.sessionId = sessionId;
        this.workId = workId;
        this.attempt = attempt;
        this.sink = sink;
        this.clock = clock;
    }

    @Override
    public void append(String text) {
        pending.append(text);
        if (pending.length() >= CHUNK_CHARS || text.indexOf('\n') >= 0) {
            flush();
        }
    }

    void flush() {
        if (pending.isEmpty()) {
            return;
        }
        sink.accept(new StreamChunk(sessionId, workId, attempt, index++, pending.toString(), clock.instant()));
        pending.setLength(0);
    }
}
