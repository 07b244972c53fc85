package io.agentlog.telemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One trace per session, without storing anything: a session's trace id is the first 16 bytes of the SHA-256 of its
 * id, and its root span's id the next 8. Every process (any engine instance, before or after a restart, any worker)
 * derives the same ids from the session id, so their spans land in one trace under one root, however long the session
 * lives and wherever its steps run. The root span itself is exported when the session ends ({@link Tracing}).
 */
public record SessionTrace(String sessionId, String traceId, String rootSpanId) {

    private static final HexFormat HEX = HexFormat.of();
    /** Used in the astronomically unlikely case that the derived span id is all zeros (an invalid id). */
    private static final String FALLBACK_SPAN_ID = "0000000000000001";

    public static SessionTrace of(String sessionId) {
        byte[] hash = sha256(sessionId);
        String traceId = HEX.formatHex(hash, 0, 16);
        String spanId = HEX.formatHex(hash, 16, 24);
        return new SessionTrace(
                sessionId,
                traceId.equals("0".repeat(32)) ? "0".repeat(31) + "1" : traceId,
                spanId.equals("0".repeat(16)) ? FALLBACK_SPAN_ID : spanId);
    }

    /** The session's root span, as a remote parent: the parent of every step span of the session. */
    public SpanContext rootSpanContext() {
        return SpanContext.createFromRemoteParent(
                traceId, rootSpanId, TraceFlags.getSampled(), TraceState.getDefault());
    }

    /** A context whose current span is the session's root span, to start the session's spans under. */
    public Context rootContext() {
        return Context.root().with(Span.wrap(rootSpanContext()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
