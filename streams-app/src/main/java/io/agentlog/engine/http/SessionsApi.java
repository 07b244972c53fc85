package io.agentlog.engine.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.HumanAsked;
import io.agentlog.schemas.avro.SessionStatus;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.javalin.http.Context;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code /sessions}: submit a task, read a session's state, list sessions, and the controls (cancel, steer, approve,
 * deny, answer). Tasks and controls go to their topics through the client, as any producer's would; the engine decides
 * on them. State comes from the engine's stores ({@link SessionQueries}).
 */
final class SessionsApi {

    static final Set<String> ENDED = Set.of(
            SessionStatus.COMPLETED.name(),
            SessionStatus.FAILED.name(),
            SessionStatus.CANCELLED.name(),
            SessionStatus.BUDGET_EXCEEDED.name());

    private final AgentlogClient client;
    private final Supplier<SessionQueries> queries;

    SessionsApi(AgentlogClient client, Supplier<SessionQueries> queries) {
        this.client = client;
        this.queries = queries;
    }

    /** {@code POST /sessions}: {@code {agent, input, version?, sessionId?, idempotencyKey?, metadata?}}. */
    void submit(Context ctx) {
        ObjectNode body = Json.body(ctx);
        TaskSubmitted.Builder task =
                AgentlogClient.task(Json.requiredText(body, "agent"), Json.requiredText(body, "input"));
        JsonNode version = body.get("version");
        if (version != null && !version.isNull()) {
            if (!version.canConvertToInt() || !version.isIntegralNumber() || version.asInt() < 1) {
                throw ApiException.badRequest("\"version\" must be a positive integer, but was " + version);
            }
            task.setAgentVersion(version.asInt());
        }
        Json.optionalText(body, "sessionId").ifPresent(id -> {
            requireValidId(id);
            task.setSessionId(id);
        });
        Json.optionalText(body, "idempotencyKey").ifPresent(task::setIdempotencyKey);
        task.setMetadata(metadata(body));
        String sessionId = client.submit(task.build());
        ctx.header("Location", "/sessions/" + SessionQueries.encode(sessionId));
        Json.send(ctx, 202, Json.object().put("sessionId", sessionId));
    }

    /** {@code GET /sessions/{id}}: the session's state as the engine holds it now. */
    void get(Context ctx) {
        String sessionId = sessionId(ctx);
        JsonNode state = state(ctx, sessionId);
        Json.send(ctx, 200, state);
    }

    /** {@code GET /sessions?status=&agent=&after=&limit=}: a page of sessions in id order. */
    void list(Context ctx) {
        Optional<String> status = Optional.ofNullable(ctx.queryParam("status")).filter(s -> !s.isBlank());
        status.ifPresent(SessionsApi::requireStatus);
        int limit = Optional.ofNullable(ctx.queryParam("limit"))
                .map(SessionsApi::limit)
                .orElse(50);
        SessionQueries.Page page = new SessionQueries.Page(
                Optional.ofNullable(ctx.queryParam("after")).filter(s -> !s.isBlank()),
                limit,
                status,
                Optional.ofNullable(ctx.queryParam("agent")).filter(s -> !s.isBlank()));
        List<JsonNode> sessions = queries.get().list(page, forwarded(ctx), authorization(ctx));
        ObjectNode answer = Json.object();
        answer.putArray("sessions").addAll(sessions);
        if (sessions.size() == limit) {
            answer.put("next", sessions.getLast().path("sessionId").asText());
        } else {
            answer.putNull("next");
        }
        Json.send(ctx, 200, answer);
    }

    /** {@code POST /sessions/{id}/cancel}: {@code {reason?}}. */
    void cancel(Context ctx) {
        String sessionId = runningSession(ctx);
        client.cancel(sessionId, Json.optionalText(Json.body(ctx), "reason").orElse("cancelled over HTTP"));
        accepted(ctx, sessionId, "cancel", null);
    }

    /** {@code POST /sessions/{id}/steer}: {@code {message}}. */
    void steer(Context ctx) {
        String sessionId = runningSession(ctx);
        client.steer(sessionId, Json.requiredText(Json.body(ctx), "message"));
        accepted(ctx, sessionId, "steer", null);
    }

    /** {@code POST /sessions/{id}/approve}: {@code {toolCallId?, arguments?}} (arguments: a JSON object). */
    void approve(Context ctx) {
        String sessionId = runningSession(ctx);
        ObjectNode body = Json.body(ctx);
        String toolCallId = waitingApproval(sessionId, body);
        client.approve(sessionId, toolCallId, arguments(body));
        accepted(ctx, sessionId, "approve", toolCallId);
    }

    /** {@code POST /sessions/{id}/deny}: {@code {toolCallId?, message?}}. */
    void deny(Context ctx) {
        String sessionId = runningSession(ctx);
        ObjectNode body = Json.body(ctx);
        String toolCallId = waitingApproval(sessionId, body);
        client.deny(sessionId, toolCallId, Json.optionalText(body, "message").orElse("denied over HTTP"));
        accepted(ctx, sessionId, "deny", toolCallId);
    }

    /** {@code POST /sessions/{id}/answer}: {@code {text, toolCallId?}}. */
    void answer(Context ctx) {
        String sessionId = runningSession(ctx);
        ObjectNode body = Json.body(ctx);
        String text = Json.requiredText(body, "text");
        String toolCallId = waitingCall(
                sessionId,
                Json.optionalText(body, "toolCallId"),
                "an answer",
                client.awaitingAnswer(sessionId),
                HumanAsked::getToolCallId);
        client.answer(sessionId, toolCallId, text);
        accepted(ctx, sessionId, "answer", toolCallId);
    }

    private JsonNode state(Context ctx, String sessionId) {
        return queries.get()
                .state(sessionId, forwarded(ctx), authorization(ctx))
                .orElseThrow(() -> ApiException.notFound("no session " + sessionId));
    }

    /** The path's session, which must exist and not have ended. */
    private String runningSession(Context ctx) {
        String sessionId = sessionId(ctx);
        String status = state(ctx, sessionId).path("status").asText();
        if (ENDED.contains(status)) {
            throw ApiException.conflict("session " + sessionId + " has ended (" + status + ")");
        }
        return sessionId;
    }

    /** The call the body names ({@code toolCallId}, or the only one) among those waiting for approval. */
    private String waitingApproval(String sessionId, ObjectNode body) {
        return waitingCall(
                sessionId,
                Json.optionalText(body, "toolCallId"),
                "approval",
                client.awaitingApproval(sessionId),
                ApprovalRequested::getToolCallId);
    }

    /** The body's {@code arguments}, a JSON object (or its text), as compact JSON text; null when absent. */
    private static String arguments(ObjectNode body) {
        JsonNode arguments = body.get("arguments");
        if (arguments == null || arguments.isNull()) {
            return null;
        }
        if (arguments.isTextual()) {
            return Json.write(parseArguments(arguments.asText()));
        }
        if (!arguments.isObject()) {
            throw ApiException.badRequest("\"arguments\" must be a JSON object, but was " + arguments.getNodeType());
        }
        return Json.write(arguments);
    }

    private static <T> String waitingCall(
            String sessionId, Optional<String> wanted, String what, List<T> waiting, Function<T, String> idOf) {
        List<String> ids = waiting.stream().map(idOf).toList();
        if (wanted.isPresent()) {
            if (!ids.contains(wanted.get())) {
                throw ApiException.conflict("tool call " + wanted.get() + " of session " + sessionId
                        + " does not wait for " + what + (ids.isEmpty() ? "; none does" : "; these do: " + ids));
            }
            return wanted.get();
        }
        if (ids.size() != 1) {
            throw ids.isEmpty()
                    ? ApiException.conflict("no tool call of session " + sessionId + " waits for " + what)
                    : ApiException.badRequest("several tool calls of session " + sessionId + " wait for " + what
                            + ": say which with \"toolCallId\" (one of " + ids + ")");
        }
        return ids.getFirst();
    }

    private static void accepted(Context ctx, String sessionId, String command, String toolCallId) {
        ObjectNode body = Json.object().put("sessionId", sessionId).put("command", command);
        if (toolCallId != null) {
            body.put("toolCallId", toolCallId);
        }
        Json.send(ctx, 202, body);
    }

    static String sessionId(Context ctx) {
        String id = ctx.pathParam("id");
        requireValidId(id);
        return id;
    }

    private static void requireValidId(String id) {
        try {
            SessionIds.validate(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private static void requireStatus(String status) {
        boolean known =
                Arrays.stream(SessionStatus.values()).anyMatch(s -> s.name().equalsIgnoreCase(status));
        if (!known) {
            throw ApiException.badRequest(
                    "status must be one of " + Arrays.toString(SessionStatus.values()) + ", but was '" + status + "'");
        }
    }

    private static int limit(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("limit must be a number, but was '" + text + "'");
        }
    }

    private static JsonNode parseArguments(String text) {
        JsonNode parsed;
        try {
            parsed = Json.MAPPER.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("\"arguments\" is not JSON: " + e.getOriginalMessage());
        }
        if (!parsed.isObject()) {
            throw ApiException.badRequest("\"arguments\" must be a JSON object, but was " + parsed.getNodeType());
        }
        return parsed;
    }

    private static Map<String, String> metadata(ObjectNode body) {
        JsonNode node = body.get("metadata");
        Map<String, String> metadata = new HashMap<>();
        if (node == null || node.isNull()) {
            return metadata;
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("\"metadata\" must be an object of strings, but was " + node.getNodeType());
        }
        node.properties().forEach(entry -> {
            if (!entry.getValue().isTextual()) {
                throw ApiException.badRequest("\"metadata\" values must be strings, but \"" + entry.getKey() + "\" was "
                        + entry.getValue().getNodeType());
            }
            metadata.put(entry.getKey(), entry.getValue().asText());
        });
        return metadata;
    }

    static boolean forwarded(Context ctx) {
        return "true".equals(ctx.header(SessionQueries.FORWARDED_HEADER));
    }

    static Optional<String> authorization(Context ctx) {
        return Optional.ofNullable(ctx.header("Authorization"));
    }
}
