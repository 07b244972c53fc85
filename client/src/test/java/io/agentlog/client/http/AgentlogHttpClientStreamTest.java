package io.agentlog.client.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentlog.client.AvroJson;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.UserMessageAdded;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event stream as the client reads it, from a scripted server: what the engine does not send yet (token pieces),
 * a 503, a stream that ends mid-session and a server that repeats an event. The real engine is in
 * {@code HttpClientTest}.
 */
class AgentlogHttpClientStreamTest {

    private static final String SESSION = "s-1";

    private HttpServer server;
    private final List<String> lastEventIds = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/sessions/" + SESSION + "/events", this::serve);
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    /**
     * 1st request: 503. 2nd: a token, event 0, a token, then the stream ends. 3rd: the two tokens again and a third,
     * event 0 again, then the end.
     */
    private void serve(HttpExchange exchange) throws IOException {
        lastEventIds.add(String.valueOf(exchange.getRequestHeaders().getFirst("Last-Event-ID")));
        authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
        int connection = connections.incrementAndGet();
        if (connection == 1) {
            byte[] body = "{\"error\": \"the engine is starting\", \"status\": 503}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            if (connection == 2) {
                write(
                        out,
                        "event: token\ndata: {\"workId\":\"m1\",\"attempt\":\"a1\",\"index\":0,\"text\":\"Hel\"}\n\n");
                write(out, ": keep-alive\n\n");
                write(out, sse(event(0, new UserMessageAdded("hi"))));
                write(
                        out,
                        "event: token\ndata: {\"workId\":\"m1\",\"attempt\":\"a1\",\"index\":1,\"text\":\"lo\"}\n\n");
            } else {
                // a resumed stream opens with the pieces of the answer being written so far, then goes on
                write(
                        out,
                        "event: token\ndata: {\"workId\":\"m1\",\"attempt\":\"a1\",\"index\":0,\"text\":\"Hel\"}\n\n");
                write(
                        out,
                        "event: token\ndata: {\"workId\":\"m1\",\"attempt\":\"a1\",\"index\":1,\"text\":\"lo\"}\n\n");
                write(out, "event: token\ndata: {\"workId\":\"m1\",\"attempt\":\"a1\",\"index\":2,\"text\":\"!\"}\n\n");
                write(out, sse(event(0, new UserMessageAdded("hi"))));
                write(out, sse(event(1, new SessionEnded(ResultStatus.COMPLETED, "Hello", null))));
            }
        }
    }

    @Test
    void shouldResumeAfterA503AndAnEndedStreamAndPassTokensToTheirCallback() {
        // Given a client with a token
        try (AgentlogHttpClient client = new AgentlogHttpClient(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
                Optional.of("secret"),
                Duration.ofSeconds(5))) {
            List<SessionEvent> events = new ArrayList<>();
            List<TokenChunk> tokens = new ArrayList<>();

            // When it watches the session with a token callback
            SessionEvent end = client.watch(SESSION, Duration.ofSeconds(30), events::add, tokens::add);

            // Then it retried the 503, resumed after event 0, and saw each event and each token once, in order
            assertThat(connections.get()).isEqualTo(3);
            assertThat(lastEventIds).containsExactly("null", "null", "0");
            assertThat(authorizations).containsOnly("Bearer secret");
            assertThat(events).extracting(SessionEvent::getSeq).containsExactly(0L, 1L);
            assertThat(events.getFirst().getEvent()).isEqualTo(new UserMessageAdded("hi"));
            assertThat(end.getEvent()).isEqualTo(new SessionEnded(ResultStatus.COMPLETED, "Hello", null));
            assertThat(tokens)
                    .containsExactly(
                            new TokenChunk("m1", "a1", 0, "Hel"),
                            new TokenChunk("m1", "a1", 1, "lo"),
                            new TokenChunk("m1", "a1", 2, "!"));
            assertThat(client.resumedStreams()).isEqualTo(2);
        }
    }

    private static SessionEvent event(long seq, Object body) {
        return SessionEvent.newBuilder()
                .setSessionId(SESSION)
                .setSeq(seq)
                .setAt(Instant.parse("2026-11-30T01:00:00.123Z"))
                .setEvent(body)
                .build();
    }

    /** As the engine's {@code EventStream} writes an event. */
    private static String sse(SessionEvent event) {
        ObjectNode json = (ObjectNode) AvroJson.toTree(event);
        String type = event.getEvent().getClass().getSimpleName();
        json.put("type", type);
        return "id: " + event.getSeq() + "\nevent: " + type + "\ndata: " + json + "\n\n";
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
