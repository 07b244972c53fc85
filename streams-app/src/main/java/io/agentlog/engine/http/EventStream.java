package io.agentlog.engine.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AvroJson;
import io.agentlog.client.ResultTimeoutException;
import io.agentlog.schemas.StreamChunk;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.InterruptException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /sessions/{id}/events}: the session's journal as Server-Sent Events, from its first event (or after the
 * {@code Last-Event-ID} the client sends back when it reconnects, or {@code ?after=SEQ}) until its
 * {@code SessionEnded}, then the stream ends. Each event's SSE id is its {@code seq}, its SSE event name its type (e.g.
 * {@code ModelResponded}), its data the event as JSON with a {@code type} field. Since the id is the journal's own
 * sequence, a client that reconnects gets every event after the last it saw, none twice.
 *
 * <p>Between them come the model's answers as they are written: SSE events named {@code token}, without an id, whose
 * data is a {@code StreamChunk} ({@code workId}, {@code attempt}, {@code index}, {@code text}); best effort, never
 * after that call's {@code ModelResponded}. A stream that opens (or resumes) while the model is writing starts with
 * that answer's chunks so far ({@link AgentlogClient#watch(String, Duration, java.util.function.Consumer,
 * java.util.function.Consumer)}), so a resumed stream repeats chunks the client has: it skips indexes it has seen.
 *
 * <p>The events come from {@code agentlog.events} (read_committed), so they are the journal as committed, not the
 * engine's uncommitted work. A comment is sent every {@link #KEEP_ALIVE} so that proxies keep the connection and a
 * client that went away is noticed; the stream is then closed and its consumer with it. A stream ends after the
 * configured maximum time (the client reconnects and loses nothing).
 */
final class EventStream {

    private static final Logger log = LoggerFactory.getLogger(EventStream.class);

    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    /** The SSE event name of a model answer's piece as it is written ({@link StreamChunk} as JSON). */
    static final String TOKEN_EVENT = "token";

    private final AgentlogClient client;
    private final Duration maxStreamTime;
    private final ScheduledExecutorService keepAlives = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("agentlog-sse-keepalive").factory());

    EventStream(AgentlogClient client, Duration maxStreamTime) {
        this.client = client;
        this.maxStreamTime = maxStreamTime;
    }

    /** Streams the session's events after seq {@code after} (-1: all) until it ends, the client leaves or time is up. */
    void stream(SseClient sse, String sessionId, long after) {
        Sink sink = new Sink(sse, Thread.currentThread());
        ScheduledFuture<?> keepAlive = keepAlives.scheduleAtFixedRate(
                sink::keepAlive, KEEP_ALIVE.toMillis(), KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
        try {
            client.watch(
                    sessionId,
                    maxStreamTime,
                    event -> {
                        if (event.getSeq() > after) {
                            sink.send(event);
                        }
                    },
                    sink::send);
        } catch (ResultTimeoutException e) {
            log.debug("Event stream of session {} reached its maximum time; the client reconnects", sessionId);
        } catch (ClientGone | InterruptException e) {
            log.debug("Event stream of session {}: the client went away", sessionId);
        } finally {
            keepAlive.cancel(false);
            Thread.interrupted(); // a keep-alive that found the client gone may have interrupted us
            sse.close();
        }
    }

    void close() {
        keepAlives.shutdownNow();
    }

    /** The last seq the client has: {@code Last-Event-ID} (a reconnect) or {@code ?after=}; -1 for none. */
    static long after(Context ctx) {
        String lastId = ctx.header("Last-Event-ID");
        String text = lastId != null && !lastId.isBlank() ? lastId : ctx.queryParam("after");
        if (text == null || text.isBlank()) {
            return -1;
        }
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(
                    "Last-Event-ID and after must be an event seq (a number), but was '" + text + "'");
        }
    }

    static ObjectNode json(SessionEvent event) {
        ObjectNode node = (ObjectNode) AvroJson.toTree(event);
        node.put("type", type(event));
        return node;
    }

    static String type(SessionEvent event) {
        return event.getEvent().getClass().getSimpleName();
    }

    /** Writes to one client; the keep-alive timer and the reading thread take turns. */
    private static final class Sink {
        private final SseClient sse;
        private final Thread reader;

        Sink(SseClient sse, Thread reader) {
            this.sse = sse;
            this.reader = reader;
        }

        synchronized void send(SessionEvent event) {
            if (sse.terminated()) {
                throw new ClientGone();
            }
            sse.sendEvent(type(event), Json.write(json(event)), String.valueOf(event.getSeq()));
            if (event.getEvent() instanceof SessionEnded) {
                log.debug("Event stream of session {} ends with the session", event.getSessionId());
            }
        }

        /** A piece of a model answer: SSE event {@code token}, no id (the stream resumes by journal seq only). */
        synchronized void send(StreamChunk chunk) {
            if (sse.terminated()) {
                throw new ClientGone();
            }
            sse.sendEvent(TOKEN_EVENT, chunk.toJson());
        }

        synchronized void keepAlive() {
            if (!sse.terminated()) {
                sse.sendComment("keep-alive");
            }
            if (sse.terminated()) {
                reader.interrupt(); // stop waiting for events nobody will read
            }
        }
    }

    private static final class ClientGone extends RuntimeException {
        ClientGone() {
            super("the client closed the event stream", null, false, false);
        }
    }
}
