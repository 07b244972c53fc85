package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.client.AgentRegistration;
import io.agentlog.client.AgentlogClient;
import io.agentlog.client.http.AgentlogHttpClient;
import io.agentlog.client.http.AgentlogHttpException;
import io.agentlog.client.http.ApiUnreachableException;
import io.agentlog.client.http.SessionPage;
import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link AgentlogHttpClient} against a real engine's HTTP API on a real broker. The API needs a bearer token, and ends
 * every event stream after {@link #MAX_STREAM_TIME}, so a watch of a session that waits must resume its stream.
 */
class HttpClientTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final Duration MAX_STREAM_TIME = Duration.ofMillis(1500);
    private static final String TOKEN = "http-client-token-" + UUID.randomUUID();
    private static InProcessStack stack;
    private static AgentlogHttpClient client;

    @BeforeAll
    static void startStack() throws Exception {
        stack = InProcessStack.startWithHttp(
                "http-client",
                DEADLINE,
                HttpApiConfig.loopback().withTokens(Set.of(TOKEN)).withMaxStreamTime(MAX_STREAM_TIME));
        client = new AgentlogHttpClient(URI.create(stack.httpBase()), Optional.of(TOKEN), Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopStack() {
        if (client != null) {
            client.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldSubmitOverHttpAndReturnTheSameResultAsKafka() {
        // Given an agent registered through the HTTP client
        String agent = putAgent("script: [{text: the answer}]\n");

        // When a task built as for Kafka is submitted over HTTP and its result awaited over HTTP
        String session = client.submit(AgentlogClient.task(agent, "go")
                .setIdempotencyKey("key-" + UUID.randomUUID())
                .build());
        SessionResult overHttp = client.result(session, DEADLINE);

        // Then it is the result the engine wrote to Kafka, and the state and the list show the session
        SessionResult overKafka = stack.client.awaitResult(session, DEADLINE);
        assertThat(overHttp.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(overHttp.getOutput()).isEqualTo("the answer");
        assertThat(overHttp).isEqualTo(overKafka);
        assertThat(client.state(session).orElseThrow().path("status").asText()).isEqualTo("COMPLETED");
        SessionPage page = client.sessions(Optional.of("COMPLETED"), Optional.of(agent), Optional.empty(), 10);
        assertThat(page.sessions())
                .extracting(s -> s.path("sessionId").asText())
                .containsExactly(session);
        assertThat(page.next()).isEmpty();

        // And a result asked for after the end comes at once, from the end of the stream
        assertThat(client.result(session, Duration.ofSeconds(20))).isEqualTo(overKafka);
    }

    @Test
    void shouldWatchEveryEventOnceAcrossDroppedStreamsAndApproveOverHttp() throws Exception {
        // Given a session that waits for an approval, watched over HTTP
        String agent = putAgent(HttpApiTest.WRITE_AFTER_APPROVAL);
        String session = client.submit(AgentlogClient.task(agent, "write it").build());
        List<SessionEvent> seen = new CopyOnWriteArrayList<>();
        long resumedBefore = client.resumedStreams();
        CompletableFuture<SessionEvent> end =
                CompletableFuture.supplyAsync(() -> client.watch(session, DEADLINE, seen::add));

        // When the server has ended the watch's stream twice while the session waits, and the call is approved
        Awaitility.await("the watch saw the approval request and resumed its stream twice")
                .atMost(DEADLINE)
                .until(() -> seen.stream().anyMatch(e -> e.getEvent() instanceof ApprovalRequested)
                        && client.resumedStreams() - resumedBefore >= 2);
        client.approve(session, null, null);
        SessionEvent ended = end.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        // Then the watch saw the whole journal, each event once, in order, as the Kafka client reads it
        assertThat(ended.getEvent()).isInstanceOf(SessionEnded.class);
        assertThat(((SessionEnded) ended.getEvent()).getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(seen)
                .extracting(SessionEvent::getSeq)
                .containsExactlyElementsOf(
                        LongStream.range(0, seen.size()).boxed().toList());
        assertThat(seen.getLast()).isEqualTo(ended);
        assertThat(seen).containsExactlyElementsOf(stack.client.journal(session));
    }

    @Test
    void shouldThrowTheStatusAndTheServersReasonWhenARequestIsRefused() {
        // Given a session that has ended
        String agent = putAgent("script: [{text: hi}]\n");
        String ended = client.submit(AgentlogClient.task(agent, "go").build());
        client.result(ended, DEADLINE);
        String unknown = "no-such-" + UUID.randomUUID();

        // Then an unknown session has no state, and a control for it or for the ended session says why not
        assertThat(client.state(unknown)).isEmpty();
        assertThatThrownBy(() -> client.cancel(unknown, "stop"))
                .isInstanceOfSatisfying(AgentlogHttpException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.error()).isEqualTo("no session " + unknown);
                    assertThat(e.clientError()).isTrue();
                    assertThat(e.retryable()).isFalse();
                });
        assertThatThrownBy(() -> client.approve(ended, null, null))
                .isInstanceOfSatisfying(AgentlogHttpException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.error()).contains("has ended (COMPLETED)");
                });
        assertThatThrownBy(() -> client.steer(ended, "faster"))
                .isInstanceOfSatisfying(
                        AgentlogHttpException.class, e -> assertThat(e.status()).isEqualTo(409));

        // And a task the HTTP API cannot carry is refused before it is sent
        assertThatThrownBy(() -> client.submit(AgentlogClient.task(agent, "go")
                        .setParentSessionId(ended)
                        .build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("submit it with AgentlogClient");
    }

    @Test
    void shouldSendTheBearerTokenAndFailClearlyWithoutOne() throws Exception {
        // Given clients without a token, with a wrong one, and one for an address nobody serves
        URI base = URI.create(stack.httpBase());
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (AgentlogHttpClient anonymous = new AgentlogHttpClient(base);
                AgentlogHttpClient wrong =
                        new AgentlogHttpClient(base, Optional.of("not-the-token"), Duration.ofSeconds(10));
                AgentlogHttpClient nowhere = new AgentlogHttpClient(
                        URI.create("http://127.0.0.1:" + closedPort), Optional.empty(), Duration.ofSeconds(5))) {

            // Then the API refuses the first two with 401 and its reason, and the last gets no answer at all
            assertThatThrownBy(anonymous::agents).isInstanceOfSatisfying(AgentlogHttpException.class, e -> {
                assertThat(e.status()).isEqualTo(401);
                assertThat(e.error()).contains("needs a bearer token");
            });
            assertThatThrownBy(() -> wrong.watch(UUID.randomUUID().toString(), DEADLINE, e -> {}))
                    .isInstanceOfSatisfying(AgentlogHttpException.class, e -> {
                        assertThat(e.status()).isEqualTo(401);
                        assertThat(e.error()).isEqualTo("unknown token");
                    });
            assertThatThrownBy(nowhere::agents)
                    .isInstanceOf(ApiUnreachableException.class)
                    .hasMessageContaining("is the engine's HTTP API running there?");
        }

        // And the client with the token is let in
        String agent = putAgent("script: [{text: hi}]\n");
        assertThat(client.agents()).extracting(a -> a.path("name").asText()).contains(agent);
    }

    private static String putAgent(String body) {
        String name = "http-client-" + UUID.randomUUID();
        AgentRegistration registration =
                client.putAgent("name: %s\nversion: 1\nmodel: {provider: scripted}\n%s".formatted(name, body));
        assertThat(registration.alreadyRegistered()).isFalse();
        return name;
    }
}
