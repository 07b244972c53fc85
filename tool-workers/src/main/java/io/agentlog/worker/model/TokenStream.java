package io.agentlog.worker.model;

/**
 * Where a model provider puts its answer's text as it is written, before the call returns: the worker sends it to
 * {@code agentlog.stream} for people and programs to watch. Best effort: what the provider returns is the answer, and
 * a provider that cannot stream need not call this at all.
 */
@FunctionalInterface
public interface TokenStream {

    /** Streams nothing. */
    TokenStream NONE = text -> {};

    /** Text added to the answer (a token, a word, a line). */
    void append(String text);
}
