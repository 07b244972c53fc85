package io.agentlog.telemetry;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The W3C Trace Context ({@code traceparent}, {@code tracestate}) in Kafka record headers: the engine writes the
 * context of the step that requested a work item on the item's record, a worker reads it to make its span a child of
 * that step. Nothing is written for a context without a valid span (tracing off), so records carry no header then.
 */
public final class TraceHeaders {

    public static final String TRACEPARENT = "traceparent";

    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

    private static final TextMapSetter<Headers> SETTER = (headers, key, value) -> {
        if (headers != null) {
            headers.remove(key);
            headers.add(key, value.getBytes(StandardCharsets.UTF_8));
        }
    };

    private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
            List<String> keys = new ArrayList<>();
            for (Header header : headers) {
                keys.add(header.key());
            }
            return keys;
        }

        @Override
        public String get(Headers headers, String key) {
            if (headers == null) {
                return null;
            }
            Header header = headers.lastHeader(key);
            return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
        }
    };

    private TraceHeaders() {}

    /** Writes {@code context}'s span context into {@code headers}; nothing when it has no valid span. */
    public static void inject(Context context, Headers headers) {
        W3C.inject(context, headers, SETTER);
    }

    /**
     * The span context {@code headers} carry, as the parent of a span to start; when they carry none (a record of a
     * process that does not trace, or from before tracing was on), the root of {@code sessionId}'s trace, so the span
     * still lands in the session's trace.
     */
    public static Context extract(Headers headers, String sessionId) {
        Context extracted = W3C.extract(Context.root(), headers, GETTER);
        return io.opentelemetry.api.trace.Span.fromContext(extracted)
                        .getSpanContext()
                        .isValid()
                ? extracted
                : SessionTrace.of(sessionId).rootContext();
    }
}
