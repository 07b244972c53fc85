package io.agentlog.client.http;

/**
 * A piece of a model's answer as it streams: SSE events named {@code token} with the data {@code {workId, attempt,
 * index, text}} and no id. Tokens are not part of the journal; the model's full answer is in its
 * {@code ModelResponded} event. A stream opened (or resumed) while the model is writing starts with that answer's
 * pieces so far; {@link AgentlogHttpClient#watch} passes on each piece once.
 *
 * @param workId the model call
 * @param attempt the attempt of the call the piece belongs to: when it changes, the answer starts over (a retry)
 * @param index the piece's place in its attempt, from 0
 * @param text the text added
 */
public record TokenChunk(String workId, String attempt, int index, String text) {}
