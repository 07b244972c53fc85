package io.agentlog.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A piece of a model's answer while it is being written, on {@code agentlog.stream} (key: the session id, value:
 * this as JSON). Best effort: chunks may be lost and are never part of a session's state; the journal's
 * {@code ModelResponded} is the answer. A call that is tried again (a retry, or a redelivery to another worker) writes
 * its chunks under another {@code attempt}, so a reader shows the chunks of one attempt of a work item, in
 * {@code index} order, and starts over when a new attempt begins: two answers are never glued together.
 *
 * @param sessionId the session
 * @param workId the model call ({@code ModelRequested.workId})
 * @param attempt this attempt of the call, unique among all attempts of it (worker, delivery, try)
 * @param index 0, 1, 2, ... within the attempt
 * @param text the text added
 * @param at when the worker wrote it
 */
public record StreamChunk(String sessionId, String workId, String attempt, int index, String text, Instant at) {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    public StreamChunk {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(workId, "workId");
        Objects.requireNonNull(attempt, "attempt");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(at, "at");
    }

    /** The record value: {@code {"sessionId", "workId", "attempt", "index", "text", "at"}} ({@code at}: ISO-8601). */
    public String toJson() {
        try {
            return JSON.writeValueAsString(JSON.createObjectNode()
                    .put("sessionId", sessionId)
                    .put("workId", workId)
                    .put("attempt", attempt)
                    .put("index", index)
                    .put("text", text)
                    .put("at", at.toString()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A chunk read back; empty for a value that is not one (the topic is best effort, and anyone may write it). */
    public static Optional<StreamChunk> fromJson(String value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(value);
            if (!node.path("sessionId").isTextual()
                    || !node.path("workId").isTextual()
                    || !node.path("attempt").isTextual()
                    || !node.path("index").canConvertToInt()
                    || !node.path("text").isTextual()) {
                return Optional.empty();
            }
            Instant at =
                    node.path("at").isTextual() ? Instant.parse(node.path("at").asText()) : Instant.EPOCH;
            return Optional.of(new StreamChunk(
                    node.path("sessionId").asText(),
                    node.path("workId").asText(),
                    node.path("attempt").asText(),
                    node.path("index").asInt(),
                    node.path("text").asText(),
                    at));
        } catch (JsonProcessingException | java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
