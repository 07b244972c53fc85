package io.agentlog.engine.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.UncheckedIOException;
import java.util.Optional;

/** JSON in and out of the API: request bodies read as trees with clear errors, responses written as trees. */
final class Json {

    static final ObjectMapper MAPPER = JsonMapper.builder().build();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final String CONTENT_TYPE = "application/json";

    private Json() {}

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static void send(Context ctx, int status, JsonNode body) {
        ctx.status(status).contentType(CONTENT_TYPE).result(write(body));
    }

    static void error(Context ctx, int status, String message) {
        send(ctx, status, object().put("error", message).put("status", status));
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The request body as a JSON object; an empty body is an empty object. */
    static ObjectNode body(Context ctx) {
        String text = ctx.body();
        if (text.isBlank()) {
            return object();
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the request body is not JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiException.badRequest("the request body must be a JSON object, but was " + node.getNodeType());
        }
        return object;
    }

    static String requiredText(ObjectNode body, String field) {
        return optionalText(body, field)
                .filter(text -> !text.isBlank())
                .orElseThrow(() -> ApiException.badRequest("the request body needs a non-empty \"" + field + "\""));
    }

    static Optional<String> optionalText(ObjectNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw ApiException.badRequest("\"" + field + "\" must be a string, but was " + node.getNodeType());
        }
        return Optional.of(node.asText());
    }
}
