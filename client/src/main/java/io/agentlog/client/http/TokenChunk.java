package io.agentlog.client.http;

/**
 * A piece of a model's answer as it streams: SSE events named {@code token} with the data {@code {workId, attempt,
 * index, text}} and no id. Tokens are not part of the journal: a reconnected stream does not send them again, and
 * the model's full answer is in its {@code ModelResponded} event.
 */
public record TokenChunk(String workId, int attempt, int index, String text) {}
