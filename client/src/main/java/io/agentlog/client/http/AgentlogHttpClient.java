package io.agentlog.client.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.client.AgentDefinitionException;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentRegistration;
import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AgentlogException;
import io.agentlog.client.AvroJson;
import io.agentlog.client.ResultTimeoutException;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.Usage;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java client of agentlog over its HTTP API ({@code docs/api.md}): the same operations as {@link AgentlogClient}
 * (which talks to Kafka), for callers that reach the engine only over HTTP. Tasks are built the same way, with
 * {@link AgentlogClient#task}; {@link #watch} hands the callback the same Avro {@link SessionEvent}s, read from the
 * event stream (Server-Sent Events) and resumed with {@code Last-Event-ID} whenever the connection drops, so the
 * callback sees every event once, in order. Thread-safe; one instance per application is enough.
 *
 * <pre>{@code
 * try (AgentlogHttpClient client = new AgentlogHttpClient(URI.create("http://127.0.0.1:8088"))) {
 *     String sessionId = client.submit(AgentlogClient.task("demo", "Write a haiku").build());
 *     SessionResult result = client.result(sessionId, Duration.ofMinutes(1));
 * }
 * }</pre>
 *
 * <p>Errors: an error answer throws {@link AgentlogHttpException} with its status and the server's {@code error} text
 * (4xx: the request or the session's state is wrong; 503: try again); no answer at all throws
 * {@link ApiUnreachableException}. {@link #watch} and {@link #result} retry 503s and lost connections by themselves
 * until their timeout.
 */
public final class AgentlogHttpClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentlogHttpClient.class);

    public static final Duration DEFAULT_REQUEST_TIMEOUT = AgentlogClient.DEFAULT_REQUEST_TIMEOUT;

    static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Schema EVENT_UNION =
            SessionEvent.getClassSchema().getField("event").schema();

    private final URI base;
    private final Optional<String> bearerToken;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final AtomicLong resumedStreams = new AtomicLong();

    public AgentlogHttpClient(URI base) {
        this(base, Optional.empty(), DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * @param base the API's address, e.g. {@code http://127.0.0.1:8088}
     * @param bearerToken sent as {@code Authorization: Bearer ...} when the API has tokens configured
     * @param requestTimeout how long one request may wait for its answer (a watch waits as long as it is told)
     */
    public AgentlogHttpClient(URI base, Optional<String> bearerToken, Duration requestTimeout) {
        Objects.requireNonNull(base, "base");
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("the API address must be http(s)://host[:port], but was '" + base + "'");
        }
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.bearerToken = Objects.requireNonNull(bearerToken, "bearerToken").filter(t -> !t.isBlank());
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.http = HttpClient.newBuilder().connectTimeout(requestTimeout).build();
    }

    public URI base() {
        return base;
    }

    /**
     * {@code POST /sessions}: the task's agent, input, version, session id, idempotency key and metadata; returns the
     * session id (the server fills in a blank one as {@link AgentlogClient#submit} does).
     *
     * @throws IllegalArgumentException when the task sets what the HTTP API does not take (a budget, a parent, a fork):
     *     submit such tasks with {@link AgentlogClient}
     */
    public String submit(TaskSubmitted task) {
        Objects.requireNonNull(task, "task");
        if (task.getBudget() != null || task.getParentSessionId() != null || task.getFork() != null) {
            throw new IllegalArgumentException("the HTTP API takes agent, input, version, sessionId, idempotencyKey and"
                    + " metadata; this task also sets a budget, a parent or a fork: submit it with AgentlogClient");
        }
        ObjectNode body = JSON.createObjectNode().put("agent", task.getAgent()).put("input", task.getInput());
        if (task.getAgentVersion() != null) {
            body.put("version", task.getAgentVersion());
        }
        if (task.getSessionId() != null && !task.getSessionId().isBlank()) {
            body.put("sessionId", task.getSessionId());
        }
        if (task.getIdempotencyKey() != null) {
            body.put("idempotencyKey", task.getIdempotencyKey());
        }
        if (task.getMetadata() != null && !task.getMetadata().isEmpty()) {
            ObjectNode metadata = body.putObject("metadata");
            task.getMetadata().forEach((k, v) -> metadata.put(k.toString(), v.toString()));
        }
        return call("POST", "/sessions", json(body)).path("sessionId").asText();
    }

    /**
     * {@code GET /sessions/{id}}: the session's state as the engine holds it (status, agent and version, limits,
     * usage, steps, tool calls, pending work, times); empty for a session the engine does not know (yet: a task just
     * submitted is known once the engine has read it).
     */
    public Optional<JsonNode> state(String sessionId) {
        try {
            return Optional.of(call("GET", "/sessions/" + encode(sessionId), null));
        } catch (AgentlogHttpException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * {@code GET /sessions}: a page of sessions in id order, filtered by status and agent when given; pass the
     * page's {@link SessionPage#next} as {@code after} for the next one.
     *
     * @param limit 1 to 500
     */
    public SessionPage sessions(Optional<String> status, Optional<String> agent, Optional<String> after, int limit) {
        StringBuilder query = new StringBuilder("/sessions?limit=").append(limit);
        status.ifPresent(s -> query.append("&status=").append(encode(s)));
        agent.ifPresent(a -> query.append("&agent=").append(encode(a)));
        after.ifPresent(a -> query.append("&after=").append(encode(a)));
        JsonNode page = call("GET", query.toString(), null);
        List<JsonNode> sessions = new ArrayList<>();
        page.path("sessions").forEach(sessions::add);
        JsonNode next = page.path("next");
        return new SessionPage(sessions, next.isTextual() ? Optional.of(next.asText()) : Optional.empty());
    }

    /**
     * Calls {@code onEvent} with each event of the session, in order, from its first, until its {@link SessionEnded}
     * event, which it returns. The event stream is resumed after the last event seen whenever it breaks (the server's
     * maximum stream time, a restart, a lost connection), so each event arrives once.
     *
     * @throws ResultTimeoutException when the session has not ended within {@code timeout}
     */
    public SessionEvent watch(String sessionId, Duration timeout, Consumer<SessionEvent> onEvent) {
        return watch(sessionId, timeout, onEvent, null);
    }

    /**
     * {@link #watch(String, Duration, Consumer)}, also calling {@code onToken} (when not null) with the pieces of the
     * model's answers as the server streams them ({@link TokenChunk}); without it they are ignored.
     */
    public SessionEvent watch(
            String sessionId, Duration timeout, Consumer<SessionEvent> onEvent, Consumer<TokenChunk> onToken) {
        SessionIds.validate(sessionId);
        Objects.requireNonNull(onEvent, "onEvent");
        return follow(sessionId, -1, timeout, onEvent, onToken);
    }

    /**
     * Waits for the session to end and returns its result as {@link AgentlogClient#awaitResult} does: the status,
     * output and error of its {@link SessionEnded} event with its agent, steps, tool calls, usage and times from its
     * state.
     *
     * @throws ResultTimeoutException when the session has not ended within {@code timeout}
     */
    public SessionResult result(String sessionId, Duration timeout) {
        SessionIds.validate(sessionId);
        // only the end matters: start at the newest event the state knows of, or at the start
        long after =
                state(sessionId).map(s -> s.path("nextEventSeq").asLong(0) - 2).orElse(-1L);
        SessionEnded ended = (SessionEnded)
                follow(sessionId, Math.max(after, -1), timeout, e -> {}, null).getEvent();
        JsonNode state = state(sessionId)
                .orElseThrow(() -> new AgentlogException("session " + sessionId + " ended, but " + base
                        + " does not know it: is the API served by another application?"));
        JsonNode version = state.path("agentVersion");
        return SessionResult.newBuilder()
                .setSessionId(sessionId)
                .setStatus(ended.getStatus())
                .setOutput(ended.getOutput())
                .setError(ended.getError())
                .setAgent(state.path("agent").asText())
                .setAgentVersion(version.isInt() ? version.asInt() : null)
                .setParentSessionId(state.path("parentSessionId").textValue())
                .setSteps(state.path("steps").asInt())
                .setToolCalls(state.path("toolCalls").asInt())
                .setUsage((Usage) AvroJson.fromTree(state.path("usage"), Usage.getClassSchema()))
                .setStartedAt(instant(state.path("startedAt")))
                .setFinishedAt(instant(state.path("endedAt")))
                .build();
    }

    /** {@code POST /sessions/{id}/approve}; {@code toolCallId} may be null when one call waits, {@code arguments} too. */
    public void approve(String sessionId, String toolCallId, String arguments) {
        control(
                sessionId,
                "approve",
                JSON.createObjectNode().put("toolCallId", toolCallId).put("arguments", arguments));
    }

    /** {@code POST /sessions/{id}/deny}: the model sees {@code message}; {@code toolCallId} may be null. */
    public void deny(String sessionId, String toolCallId, String message) {
        control(
                sessionId,
                "deny",
                JSON.createObjectNode().put("toolCallId", toolCallId).put("message", message));
    }

    /** {@code POST /sessions/{id}/answer}: the answer to the agent's question; {@code toolCallId} may be null. */
    public void answer(String sessionId, String toolCallId, String text) {
        control(
                sessionId,
                "answer",
                JSON.createObjectNode().put("toolCallId", toolCallId).put("text", text));
    }

    /** {@code POST /sessions/{id}/cancel}. */
    public void cancel(String sessionId, String reason) {
        control(sessionId, "cancel", JSON.createObjectNode().put("reason", reason));
    }

    /** {@code POST /sessions/{id}/steer}: a user message the next model turn sees. */
    public void steer(String sessionId, String message) {
        control(sessionId, "steer", JSON.createObjectNode().put("message", message));
    }

    /**
     * {@code PUT /agents/{name}}: registers an agent definition (the text of an agent file, YAML or JSON). It is
     * checked here first, so a broken file fails with its problems before anything is sent.
     *
     * @throws AgentDefinitionException when the definition is not valid
     * @throws AgentlogHttpException 409 when that version holds another definition
     */
    public AgentRegistration putAgent(String yamlOrJson) {
        boolean isJson = yamlOrJson.stripLeading().startsWith("{");
        String name = AgentDefinitions.parse(yamlOrJson, isJson ? "definition.json" : "definition.yaml")
                .getName();
        JsonNode answer = call(
                "PUT",
                "/agents/" + encode(name),
                HttpRequest.BodyPublishers.ofString(yamlOrJson),
                isJson ? "application/json" : "application/yaml");
        return new AgentRegistration(
                answer.path("key").asText(),
                answer.path("alreadyRegistered").asBoolean(),
                Instant.parse(answer.path("createdAt").asText()));
    }

    /** {@code GET /agents}: each agent's newest version (name, version, description, versions, model). */
    public List<JsonNode> agents() {
        List<JsonNode> agents = new ArrayList<>();
        call("GET", "/agents", null).path("agents").forEach(agents::add);
        return List.copyOf(agents);
    }

    /** How many times a {@link #watch} or {@link #result} resumed a broken event stream (for monitoring). */
    public long resumedStreams() {
        return resumedStreams.get();
    }

    @Override
    public void close() {
        http.shutdownNow();
    }

    @Override
    public String toString() {
        return "AgentlogHttpClient[" + base + (bearerToken.isPresent() ? ", with a token" : "") + "]";
    }

    /** Reads the session's events after seq {@code after} until its end, resuming the stream when it breaks. */
    private SessionEvent follow(
            String sessionId,
            long after,
            Duration timeout,
            Consumer<SessionEvent> onEvent,
            Consumer<TokenChunk> onToken) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long[] lastSeq = {after};
        Consumer<SessionEvent> once = event -> {
            if (event.getSeq() > lastSeq[0]) { // a resumed stream never repeats; this guards against a buggy one
                lastSeq[0] = event.getSeq();
                onEvent.accept(event);
            }
        };
        Consumer<TokenChunk> tokensOnce = onToken == null ? null : new TokensOnce(onToken);
        Backoff backoff = new Backoff();
        boolean first = true;
        AgentlogException lastError = null;
        while (System.nanoTime() - deadline < 0) {
            if (!first) {
                resumedStreams.incrementAndGet();
                log.debug("Resuming the event stream of session {} after seq {}", sessionId, lastSeq[0]);
            }
            first = false;
            try (SseConnection stream = SseConnection.open(http, eventsRequest(sessionId, lastSeq[0]), deadline)) {
                Optional<SessionEvent> end = stream.read(data -> dispatch(data, once, tokensOnce));
                if (end.isPresent()) {
                    return end.get();
                }
                lastError = null; // the server ended the stream (its maximum time): resume at once
            } catch (AgentlogHttpException e) {
                if (!e.retryable()) {
                    throw e;
                }
                lastError = e;
                backoff.pause(deadline);
            } catch (ApiUnreachableException e) {
                lastError = e;
                backoff.pause(deadline);
            }
        }
        if (lastError != null) {
            throw lastError;
        }
        throw new ResultTimeoutException(sessionId, "end event", timeout);
    }

    /** Passes on each answer piece once: a resumed stream sends the pieces of the answer being written again. */
    private static final class TokensOnce implements Consumer<TokenChunk> {
        private final Consumer<TokenChunk> onToken;
        private final Map<String, Integer> nextIndex = new HashMap<>();

        TokensOnce(Consumer<TokenChunk> onToken) {
            this.onToken = onToken;
        }

        @Override
        public void accept(TokenChunk chunk) {
            String attempt = chunk.workId() + "\n" + chunk.attempt();
            if (chunk.index() >= nextIndex.getOrDefault(attempt, 0)) {
                nextIndex.put(attempt, chunk.index() + 1);
                onToken.accept(chunk);
            }
        }
    }

    /** One SSE message: a journal event (returned when it is the end), or a token piece. */
    private Optional<SessionEvent> dispatch(
            SseConnection.Message message, Consumer<SessionEvent> onEvent, Consumer<TokenChunk> onToken) {
        if ("token".equals(message.event())) {
            if (onToken != null) {
                JsonNode token = parse(message.data(), "a token event");
                onToken.accept(new TokenChunk(
                        token.path("workId").asText(),
                        token.path("attempt").asText(),
                        token.path("index").asInt(),
                        token.path("text").asText()));
            }
            return Optional.empty();
        }
        if (message.id() == null) {
            return Optional.empty(); // not a journal event: something newer than this client
        }
        Optional<SessionEvent> event = decodeEvent(parse(message.data(), "event " + message.id()));
        event.ifPresent(onEvent);
        return event.filter(e -> e.getEvent() instanceof SessionEnded);
    }

    /** The Avro event of the stream's JSON; empty (and logged) for a type this client does not know. */
    static Optional<SessionEvent> decodeEvent(JsonNode json) {
        String type = json.path("type").asText();
        Optional<Schema> branch = EVENT_UNION.getTypes().stream()
                .filter(s -> s.getName().equals(type))
                .findFirst();
        if (branch.isEmpty()) {
            log.warn("Skipping event {} of type '{}', which this client does not know", json.path("seq"), type);
            return Optional.empty();
        }
        return Optional.of(SessionEvent.newBuilder()
                .setSessionId(json.path("sessionId").asText())
                .setSeq(json.path("seq").asLong())
                .setAt(Instant.parse(json.path("at").asText()))
                .setEvent(AvroJson.fromTree(json.path("event"), branch.get()))
                .build());
    }

    private HttpRequest eventsRequest(String sessionId, long after) {
        HttpRequest.Builder request = request("/sessions/" + encode(sessionId) + "/events")
                .header("Accept", "text/event-stream")
                .GET();
        if (after >= 0) {
            request.header("Last-Event-ID", String.valueOf(after));
        }
        return request.build();
    }

    private void control(String sessionId, String command, ObjectNode body) {
        SessionIds.validate(sessionId);
        body.properties().removeIf(e -> e.getValue().isNull());
        call("POST", "/sessions/" + encode(sessionId) + "/" + command, json(body));
    }

    private JsonNode call(String method, String path, HttpRequest.BodyPublisher body) {
        return call(method, path, body, "application/json");
    }

    private JsonNode call(String method, String path, HttpRequest.BodyPublisher body, String contentType) {
        HttpRequest.Builder request = request(path).timeout(requestTimeout);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.method(method, body).header("Content-Type", contentType);
        }
        String what = method + " " + base + path;
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw unreachable(what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentlogException("interrupted during " + what, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw error(what, response.statusCode(), response.body());
        }
        return response.body().isBlank() ? JSON.createObjectNode() : parse(response.body(), "the answer to " + what);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
        bearerToken.ifPresent(token -> request.header("Authorization", "Bearer " + token));
        return request;
    }

    static AgentlogHttpException error(String what, int status, String body) {
        String error = body;
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null && json.path("error").isTextual()) {
                error = json.path("error").asText();
            }
        } catch (JsonProcessingException e) {
            // not the API's JSON (a proxy's page, say): the body is the message
        }
        return new AgentlogHttpException(what, status, error == null || error.isBlank() ? "(no message)" : error);
    }

    static ApiUnreachableException unreachable(String what, IOException e) {
        return new ApiUnreachableException(
                "no answer to " + what + ": is the engine's HTTP API running there? (" + e + ")", e);
    }

    static JsonNode parse(String text, String what) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new AgentlogException(what + " is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static HttpRequest.BodyPublisher json(JsonNode body) {
        try {
            return HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    private static Instant instant(JsonNode node) {
        return node.isTextual() ? Instant.parse(node.asText()) : Instant.EPOCH;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Pauses between attempts: 100 ms doubling to 5 s, never past the deadline. */
    private static final class Backoff {
        private long millis = 100;

        void pause(long deadline) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            try {
                Thread.sleep(Math.max(0, Math.min(millis, left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AgentlogException("interrupted while waiting to resume an event stream", e);
            }
            millis = Math.min(millis * 2, 5_000);
        }
    }
}
