package io.agentlog.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class SessionTraceTest {

    @Test
    void shouldDeriveTheTraceIdAndRootSpanIdFromTheSha256OfTheSessionIdWhenAskedTwice() throws Exception {
        // Given a session id and its SHA-256
        String sessionId = "session-42";
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(sessionId.getBytes(StandardCharsets.UTF_8));

        // When its trace is derived (twice, as two processes would)
        SessionTrace first = SessionTrace.of(sessionId);
        SessionTrace second = SessionTrace.of(sessionId);

        // Then the trace id is the hash's first 16 bytes, the root span id the next 8, the same every time
        assertThat(first.traceId()).isEqualTo(HexFormat.of().formatHex(hash, 0, 16));
        assertThat(first.rootSpanId()).isEqualTo(HexFormat.of().formatHex(hash, 16, 24));
        assertThat(second).isEqualTo(first);
        assertThat(first.rootSpanContext().isValid()).isTrue();
        assertThat(SessionTrace.of("session-43").traceId()).isNotEqualTo(first.traceId());
    }

    @Test
    void shouldStartTheSessionRootSpanWithTheDerivedIdsWhileOtherSpansGetRandomOnes() {
        // Given a tracer exporting to memory
        InMemorySpanExporter exported = InMemorySpanExporter.create();
        try (Tracing tracing = Tracing.with(exported, "test")) {
            SessionTrace trace = SessionTrace.of("session-root");

            // When a step span (under the derived root) and then the root itself are started and ended
            Span step = startStep(tracing, trace);
            step.end();
            tracing.startSessionRoot(trace, tracing.tracer().spanBuilder("invoke_agent a"))
                    .end();
            Span other = tracing.tracer().spanBuilder("unrelated").startSpan();
            other.end();

            // Then the root has exactly the derived ids, the step is its child, and other spans are not affected
            SpanData root = span(exported, "invoke_agent a");
            SpanData stepData = span(exported, "step");
            assertThat(root.getTraceId()).isEqualTo(trace.traceId());
            assertThat(root.getSpanId()).isEqualTo(trace.rootSpanId());
            assertThat(root.getParentSpanContext().isValid()).isFalse();
            assertThat(stepData.getTraceId()).isEqualTo(trace.traceId());
            assertThat(stepData.getParentSpanId()).isEqualTo(trace.rootSpanId());
            assertThat(stepData.getSpanId()).isNotEqualTo(trace.rootSpanId());
            assertThat(span(exported, "unrelated").getTraceId()).isNotEqualTo(trace.traceId());
        }
    }

    @Test
    void shouldCarryASpanAcrossKafkaHeadersAndFallBackToTheSessionRootWhenTheyHaveNone() {
        InMemorySpanExporter exported = InMemorySpanExporter.create();
        try (Tracing tracing = Tracing.with(exported, "test")) {
            // Given a step span of a session
            SessionTrace trace = SessionTrace.of("session-headers");
            Span step = startStep(tracing, trace);

            // When its context is written into a record's headers and read back
            Headers headers = new RecordHeaders();
            TraceHeaders.inject(io.opentelemetry.context.Context.root().with(step), headers);
            var read = Span.fromContext(TraceHeaders.extract(headers, "session-headers"))
                    .getSpanContext();

            // Then the reader sees the step span as its parent, by a W3C traceparent header
            assertThat(new String(headers.lastHeader(TraceHeaders.TRACEPARENT).value(), StandardCharsets.UTF_8))
                    .isEqualTo("00-" + trace.traceId() + "-"
                            + step.getSpanContext().getSpanId() + "-01");
            assertThat(read.getTraceId()).isEqualTo(trace.traceId());
            assertThat(read.getSpanId()).isEqualTo(step.getSpanContext().getSpanId());
            assertThat(read.isRemote()).isTrue();
            step.end();
        }

        // And a context without a span writes nothing, and headers without one give the session's root as parent
        Headers none = new RecordHeaders();
        TraceHeaders.inject(io.opentelemetry.context.Context.root(), none);
        assertThat(none.toArray()).isEmpty();
        var fallback =
                Span.fromContext(TraceHeaders.extract(none, "session-headers")).getSpanContext();
        assertThat(fallback.getTraceId())
                .isEqualTo(SessionTrace.of("session-headers").traceId());
        assertThat(fallback.getSpanId())
                .isEqualTo(SessionTrace.of("session-headers").rootSpanId());
    }

    /** A step span of the session: a child of its derived root. */
    private static Span startStep(Tracing tracing, SessionTrace trace) {
        return tracing.tracer()
                .spanBuilder("step")
                .setParent(trace.rootContext())
                .startSpan();
    }

    private static SpanData span(InMemorySpanExporter exported, String name) {
        return exported.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + exported.getFinishedSpanItems()));
    }
}
