package io.agentlog.client.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/**
 * A page of {@code GET /sessions}: each session's summary (sessionId, status, agent, agentVersion, parentSessionId,
 * startedAt, endedAt, steps, toolCalls, usage) in id order, and the {@code after} of the next page (empty on the last).
 */
public record SessionPage(List<JsonNode> sessions, Optional<String> next) {

    public SessionPage {
        sessions = List.copyOf(sessions);
    }
}
