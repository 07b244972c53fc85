package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentlog.cli.CliRun;
import io.agentlog.engine.Engine;
import io.agentlog.engine.EngineTopology;
import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.local.HttpCalls.EventStream;
import io.agentlog.local.HttpCalls.Sse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.LongStream;
import java.util.stream.StreamSupport;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine's HTTP API end to end on a real broker, with the engine and a worker: submit, state, lists, the event
 * stream (resumed after a dropped connection), the controls, agents, errors, and sessions owned by another instance.
 */
class HttpApiTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    /** An agent's tools and script: one file write that waits for approval, then an answer. */
    static final String WRITE_AFTER_APPROVAL = """
            tools: [{name: write_file, requiresApproval: true}]
            script:
              - toolCalls:
                  - {id: w1, name: write_file, arguments: {path: a.txt, content: hello}}
              - text: done
            """;

    private static InProcessStack stack;
    private static HttpCalls http;

    @BeforeAll
    static void startStack() throws Exception {
        stack = InProcessStack.startWithHttp("http-api", DEADLINE, HttpApiConfig.loopback());
        http = new HttpCalls(stack.httpBase());
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldRunASessionSubmittedOverHttpAndStreamItsJournal() throws Exception {
        // Given an agent registered over HTTP whose model writes a file, then answers
        String agent = putAgent("""
                tools: [write_file]
                script:
                  - toolCalls:
                      - {id: w1, name: write_file, arguments: {path: a.txt, content: hello}}
                  - text: done
                """);

        // When a task is submitted over HTTP and its events are streamed
        HttpCalls.Response submitted = http.post("/sessions", """
                {"agent": "%s", "input": "write it", "metadata": {"team": "web"}}""".formatted(agent));
        String session = submitted.json().path("sessionId").asText();
        List<Sse> events;
        try (EventStream stream = http.events(session, Optional.empty())) {
            assertThat(stream.status()).isEqualTo(200);
            events = journal(stream.toEnd(DEADLINE));
        }

        // Then the task was accepted, and the stream is the journal from its start to its end, in seq order
        assertThat(submitted.status()).isEqualTo(202);
        assertThat(submitted.headers().get("location")).containsExactly("/sessions/" + session);
        assertThat(events).extracting(Sse::seq).containsExactlyElementsOf(consecutive(events.size()));
        assertThat(events.getFirst().event()).isEqualTo("SessionStarted");
        assertThat(events.getLast().event()).isEqualTo("SessionEnded");
        assertThat(events).extracting(Sse::event).contains("ModelRequested", "ToolRequested", "FileWritten");
        assertThat(events.getLast().json().path("event").path("status").asText())
                .isEqualTo("COMPLETED");
        assertThat(events.getLast().json().path("sessionId").asText()).isEqualTo(session);

        // And its state and the lists show it, filtered by agent and status
        JsonNode state = http.get("/sessions/" + session).json();
        assertThat(state.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(state.path("agent").asText()).isEqualTo(agent);
        assertThat(ids(http.get("/sessions?agent=" + agent).json())).containsExactly(session);
        assertThat(ids(http.get("/sessions?agent=" + agent + "&status=completed")
                        .json()))
                .containsExactly(session);
        assertThat(ids(http.get("/sessions?agent=" + agent + "&status=AWAITING_MODEL")
                        .json()))
                .isEmpty();

        // And the CLI lists it through the API, and refuses a status that does not exist
        CliRun listed = CliRun.of("sessions", "--api", stack.httpBase(), "--agent", agent);
        CliRun wrong = CliRun.of("sessions", "--api", stack.httpBase(), "--status", "DREAMING");
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        assertThat(listed.out()).contains(session + "  COMPLETED  " + agent + "@1");
        assertThat(wrong.exitCode()).isEqualTo(2);
        assertThat(wrong.err()).contains("status must be one of");
    }

    @Test
    void shouldResumeTheEventStreamAfterADroppedConnectionWithoutGapsOrRepeats() throws Exception {
        // Given a session that waits for an approval, streamed until it asks
        String agent = putAgent(WRITE_AFTER_APPROVAL);
        String session = submit(agent);
        List<Sse> first;
        try (EventStream stream = http.events(session, Optional.empty())) {
            first = journal(stream.until(sse -> sse.event().equals("ApprovalRequested"), DEADLINE));
        } // the connection drops here, mid-session

        // When the call is approved over HTTP and the stream is opened again with the last id seen
        HttpCalls.Response approved = http.post("/sessions/" + session + "/approve", "{}");
        List<Sse> rest;
        try (EventStream stream =
                http.events(session, Optional.of(first.getLast().seq()))) {
            rest = journal(stream.toEnd(DEADLINE));
        }

        // Then the two parts are the whole journal, each event once, and the approved call ran
        assertThat(approved.status()).isEqualTo(202);
        assertThat(approved.json().path("toolCallId").asText()).isEqualTo("w1");
        List<Sse> all = new ArrayList<>(first);
        all.addAll(rest);
        assertThat(all).extracting(Sse::seq).containsExactlyElementsOf(consecutive(all.size()));
        assertThat(rest).extracting(Sse::event).contains("ApprovalDecided", "ToolCompleted");
        assertThat(all.getLast().event()).isEqualTo("SessionEnded");

        // And a control for the ended session is refused with the reason
        HttpCalls.Response late = http.post("/sessions/" + session + "/approve", "{}");
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.error()).contains("has ended (COMPLETED)");
    }

    @Test
    void shouldStreamTheModelsAnswerAsItIsWrittenThenTheFinalAnswer() throws Exception {
        // Given a session parked on an approval, whose next turn answers with a long text, and its stream open
        String text = "The quarterly report is written. " + "It has sections on revenue, costs and plans. ".repeat(6);
        String agent = putAgent("""
                tools: [{name: write_file, requiresApproval: true}]
                script:
                  - toolCalls:
                      - {id: w1, name: write_file, arguments: {path: a.txt, content: hello}}
                  - text: "%s"
                """.formatted(text));
        String session = submit(agent);
        try (EventStream stream = http.events(session, Optional.empty())) {
            stream.until(sse -> sse.event().equals("ApprovalRequested"), DEADLINE);

            // When the call is approved, so the model writes its answer while the stream watches
            http.post("/sessions/" + session + "/approve", "{}");
            List<Sse> rest = stream.toEnd(DEADLINE);

            // Then the answer came in pieces before its final ModelResponded, and the pieces are the answer
            List<Sse> tokens =
                    rest.stream().filter(sse -> sse.event().equals("token")).toList();
            int answerAt = indexOf(rest, "ModelResponded");
            assertThat(tokens).hasSizeGreaterThan(1);
            assertThat(rest.subList(0, answerAt)).containsAll(tokens);
            assertThat(tokens).allSatisfy(token -> assertThat(token.id()).isNull());
            assertThat(tokens.stream().map(token -> token.json().path("index").asInt()))
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, tokens.size())
                            .boxed()
                            .toList());
            String streamed = tokens.stream()
                    .map(token -> token.json().path("text").asText())
                    .reduce("", String::concat);
            assertThat(streamed).isEqualTo(text);
            assertThat(rest.get(answerAt).json().path("event").path("text").asText())
                    .isEqualTo(text);
            assertThat(rest.getLast().event()).isEqualTo("SessionEnded");
        }
    }

    /** The journal's events of a stream, without the model's answers as they were written (no id). */
    private static List<Sse> journal(List<Sse> events) {
        return events.stream().filter(sse -> sse.id() != null).toList();
    }

    private static int indexOf(List<Sse> events, String type) {
        for (int i = 0; i < events.size(); i++) {
            if (type.equals(events.get(i).event())) {
                return i;
            }
        }
        throw new AssertionError("no " + type + " in " + events);
    }

    @Test
    void shouldCancelSteerAndAnswerOverHttp() throws Exception {
        // Given a session asking a question, and one waiting for an approval
        String asking = putAgent("""
                tools: [ask_human]
                script:
                  - toolCalls:
                      - {id: q1, name: ask_human, arguments: {question: "Which day?"}}
                  - text: done
                """);
        String waiting = putAgent(WRITE_AFTER_APPROVAL);
        String asked = submit(asking);
        String parked = submit(waiting);
        awaitStatus(asked, "AWAITING_ANSWER");
        awaitStatus(parked, "AWAITING_APPROVAL");

        // When one is answered and the other is steered, then cancelled
        HttpCalls.Response noText = http.post("/sessions/" + asked + "/answer", "{}");
        HttpCalls.Response answered = http.post("/sessions/" + asked + "/answer", "{\"text\": \"Tuesday\"}");
        HttpCalls.Response steered = http.post("/sessions/" + parked + "/steer", "{\"message\": \"hurry\"}");
        HttpCalls.Response cancelled = http.post("/sessions/" + parked + "/cancel", "{\"reason\": \"enough\"}");

        // Then each is accepted and acts; a missing field is a 400 that names it
        assertThat(noText.status()).isEqualTo(400);
        assertThat(noText.error()).contains("\"text\"");
        assertThat(answered.status()).isEqualTo(202);
        assertThat(steered.status()).isEqualTo(202);
        assertThat(cancelled.status()).isEqualTo(202);
        awaitStatus(asked, "COMPLETED");
        awaitStatus(parked, "CANCELLED");
    }

    @Test
    void shouldAnswerBadRequestsWithClearJsonErrors() {
        String agent = putAgent("script: [{text: hi}]\n");

        assertError(http.post("/sessions", "{not json"), 400, "not JSON");
        assertError(http.post("/sessions", "[1]"), 400, "must be a JSON object");
        assertError(http.post("/sessions", "{\"agent\": \"" + agent + "\"}"), 400, "needs a non-empty \"input\"");
        assertError(
                http.post("/sessions", "{\"agent\": \"" + agent + "\", \"input\": \"x\", \"version\": \"one\"}"),
                400,
                "\"version\" must be a positive integer");
        assertError(http.get("/sessions/no-such-" + UUID.randomUUID()), 404, "no session");
        assertError(http.post("/sessions/no-such-" + UUID.randomUUID() + "/cancel", "{}"), 404, "no session");
        assertError(http.get("/sessions?status=DREAMING"), 400, "status must be one of");
        assertError(http.get("/sessions?limit=0"), 400, "limit must be between 1 and 500");
        assertError(http.get("/no/such/path"), 404, "no such endpoint: GET /no/such/path");
        assertError(http.get("/agents/no-such-" + UUID.randomUUID()), 404, "no agent");
        assertError(
                http.put(
                        "/agents/other",
                        "name: " + agent + "\nversion: 2\nmodel: {provider: scripted}\nscript: [{text: hi}]\n",
                        "application/yaml"),
                400,
                "the path says 'other'");
        assertError(http.put("/agents/" + agent, "name: [", "application/yaml"), 400, "not valid YAML");
        assertError(
                http.put(
                        "/agents/" + agent,
                        "name: " + agent + "\nversion: 1\nmodel: {provider: scripted}\nscript: [{text: changed}]\n",
                        "application/yaml"),
                409,
                agent);
    }

    @Test
    void shouldRegisterAndShowAgentsAndDescribeItself() {
        // Given an agent put twice, the second time unchanged
        String name = "http-agent-" + UUID.randomUUID();
        String yaml = "name: " + name + "\nversion: 1\nmodel: {provider: scripted}\nscript: [{text: hi}]\n";
        HttpCalls.Response first = http.put("/agents/" + name, yaml, "application/yaml");
        HttpCalls.Response again = http.put("/agents/" + name, yaml, "application/yaml");
        String json = "{\"name\": \"" + name
                + "\", \"version\": 2, \"model\": {\"provider\": \"scripted\"}, \"script\": [{\"text\": \"hi\"}]}";
        HttpCalls.Response second = http.put("/agents/" + name, json, "application/json");

        // Then the first wrote it, the repeat was a no-op, and both versions are listed and shown
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("alreadyRegistered").asBoolean()).isTrue();
        assertThat(second.status()).as(second.body()).isEqualTo(201);
        JsonNode listed = StreamSupport.stream(
                        http.get("/agents").json().path("agents").spliterator(), false)
                .filter(agent -> agent.path("name").asText().equals(name))
                .findFirst()
                .orElseThrow();
        assertThat(listed.path("version").asInt()).isEqualTo(2);
        assertThat(listed.path("versions").toString()).isEqualTo("[1,2]");
        assertThat(http.get("/agents/" + name).json().path("version").asInt()).isEqualTo(2);
        assertThat(http.get("/agents/" + name + "/versions/1")
                        .json()
                        .path("script")
                        .toString())
                .contains("hi");

        // And the service endpoints answer, the OpenAPI document names every route
        assertThat(http.get("/health").json().path("status").asText()).isEqualTo("UP");
        assertThat(http.get("/ready").json().path("ready").asBoolean()).isTrue();
        JsonNode paths = http.get("/openapi.json").json().path("paths");
        assertThat(paths.propertyStream().map(java.util.Map.Entry::getKey))
                .contains(
                        "/sessions",
                        "/sessions/{id}",
                        "/sessions/{id}/events",
                        "/sessions/{id}/cancel",
                        "/sessions/{id}/steer",
                        "/sessions/{id}/approve",
                        "/sessions/{id}/deny",
                        "/sessions/{id}/answer",
                        "/agents",
                        "/agents/{name}",
                        "/agents/{name}/versions/{version}",
                        "/health",
                        "/ready",
                        "/metrics");
    }

    @Test
    void shouldServeSessionsThatAnotherInstanceOwnsFromEitherInstance() throws Exception {
        // Given a second engine instance of the same application, each serving HTTP
        String agent = putAgent("script: [{text: hi}]\n");
        long tasks;
        try (Engine second = stack.startSecondEngine(DEADLINE)) {
            HttpCalls other =
                    new HttpCalls("http://127.0.0.1:" + second.httpPort().orElseThrow());
            Awaitility.await("both instances own partitions")
                    .atMost(DEADLINE)
                    .until(() -> activeTasks(second) > 0
                            && activeTasks(stack.engine()) > 0
                            && other.get("/ready").status() == 200
                            && http.get("/ready").status() == 200);

            // When sessions are submitted until some land on each instance, and run to the end
            Set<String> sessions = new HashSet<>();
            Set<Boolean> owners = new HashSet<>();
            for (int i = 0; i < 40 && (owners.size() < 2 || sessions.size() < 4); i++) {
                String session = submit(agent);
                sessions.add(session);
                owners.add(ownedBySecond(second, session));
            }
            for (String session : sessions) {
                Awaitility.await("session " + session + " completed, seen from both instances")
                        .atMost(DEADLINE)
                        .until(() -> "COMPLETED".equals(status(http, session))
                                && "COMPLETED".equals(status(other, session)));
            }

            // Then either instance answers for every session, and each lists them all
            assertThat(owners).containsExactlyInAnyOrder(true, false);
            assertThat(ids(http.get("/sessions?agent=" + agent).json())).containsExactlyInAnyOrderElementsOf(sessions);
            assertThat(ids(other.get("/sessions?agent=" + agent).json())).containsExactlyInAnyOrderElementsOf(sessions);
            tasks = activeTasks(stack.engine()) + activeTasks(second);
        }
        // the first instance takes every task back before the next test
        long all = tasks;
        Awaitility.await("the first instance owns every task again")
                .atMost(DEADLINE)
                .until(() ->
                        activeTasks(stack.engine()) == all && http.get("/ready").status() == 200);
    }

    private static long activeTasks(Engine engine) {
        return engine.streams().metadataForLocalThreads().stream()
                .mapToLong(thread -> thread.activeTasks().size())
                .sum();
    }

    private static Boolean ownedBySecond(Engine second, String sessionId) {
        KeyQueryMetadata owner = second.streams()
                .queryMetadataForKey(
                        EngineTopology.SESSIONS_STORE,
                        sessionId,
                        Serdes.String().serializer());
        if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            return null;
        }
        return owner.activeHost().port() == second.httpPort().orElseThrow();
    }

    private static String putAgent(String body) {
        String name = "http-" + UUID.randomUUID();
        String model = body.startsWith("model:") ? "" : "model: {provider: scripted}\n";
        HttpCalls.Response put = http.put(
                "/agents/" + name, "name: %s\nversion: 1\n%s%s".formatted(name, model, body), "application/yaml");
        assertThat(put.status()).as(put.body()).isEqualTo(201);
        return name;
    }

    private static String submit(String agent) {
        HttpCalls.Response submitted = http.post("/sessions", "{\"agent\": \"" + agent + "\", \"input\": \"go\"}");
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
        return submitted.json().path("sessionId").asText();
    }

    private static void awaitStatus(String session, String status) {
        Awaitility.await("session " + session + " " + status)
                .atMost(DEADLINE)
                .until(() -> status.equals(status(http, session)));
    }

    private static String status(HttpCalls calls, String session) {
        HttpCalls.Response response = calls.get("/sessions/" + session);
        return response.status() == 200 ? response.json().path("status").asText() : "HTTP " + response.status();
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.path("sessions").forEach(s -> ids.add(s.path("sessionId").asText()));
        return ids;
    }

    private static List<Long> consecutive(int count) {
        return LongStream.range(0, count).boxed().toList();
    }

    private static void assertError(HttpCalls.Response response, int status, String message) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().get("content-type"))
                .anySatisfy(type -> assertThat(type).startsWith("application/json"));
        assertThat(response.error()).contains(message);
        assertThat(response.json().path("status").asInt()).isEqualTo(status);
    }
}
