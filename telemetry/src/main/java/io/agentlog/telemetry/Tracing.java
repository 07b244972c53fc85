package io.agentlog.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's tracer: OpenTelemetry's SDK exporting over OTLP/HTTP with a batch span processor when
 * {@link TracingConfig} names an endpoint, else the API's no-op tracer (no SDK, no thread, no span objects kept).
 * {@link #close()} exports what is left and shuts the exporter down.
 *
 * <p>Spans get random ids, but a session's root span, started by {@link #startSessionRoot}, gets the ids
 * {@link SessionTrace} derives from the session id. The SDK lets no span builder choose its ids, so the provider's
 * {@link IdGenerator} hands out the derived ones while (and only while) that method starts the span on its thread.
 */
public final class Tracing implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Tracing.class);
    private static final String INSTRUMENTATION = "io.agentlog";
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final long SHUTDOWN_SECONDS = 10;

    /** No tracing. */
    public static final Tracing OFF =
            new Tracing(Optional.empty(), TracerProvider.noop().get(INSTRUMENTATION));

    private final Optional<SdkTracerProvider> provider;
    private final Tracer tracer;

    private Tracing(Optional<SdkTracerProvider> provider, Tracer tracer) {
        this.provider = provider;
        this.tracer = tracer;
    }

    /** The tracer {@code config} asks for: OTLP/HTTP export in batches, or {@link #OFF}. */
    public static Tracing start(TracingConfig config) {
        if (!config.enabled()) {
            return OFF;
        }
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(config.endpoint().orElseThrow().toString());
        config.headers().forEach(exporter::addHeader);
        SpanProcessor batch = BatchSpanProcessor.builder(exporter.build())
                .setScheduleDelay(config.exportDelay())
                .build();
        log.info("Exporting traces to {}", config);
        return with(batch, config.serviceName());
    }

    /** A tracer whose finished spans go to {@code processor} (tests: an in-memory exporter). */
    public static Tracing with(SpanProcessor processor, String serviceName) {
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, serviceName))))
                .setIdGenerator(new SessionRootIds())
                .addSpanProcessor(processor)
                .build();
        return new Tracing(Optional.of(provider), provider.get(INSTRUMENTATION));
    }

    /** A tracer exporting through {@code exporter} at once, span by span (tests). */
    public static Tracing with(SpanExporter exporter, String serviceName) {
        return with(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(exporter), serviceName);
    }

    public boolean enabled() {
        return provider.isPresent();
    }

    public Tracer tracer() {
        return tracer;
    }

    /**
     * Starts the root span of {@code trace}'s session with the derived trace and span ids; {@code span} is a builder
     * of this tracer with the span's name, start time and attributes. Call it on the thread that then uses the span.
     */
    public Span startSessionRoot(SessionTrace trace, SpanBuilder span) {
        SessionRootIds.FORCED.set(trace);
        try {
            return span.setNoParent().startSpan();
        } finally {
            SessionRootIds.FORCED.remove();
        }
    }

    /** Exports the spans still queued and stops the exporter (waits at most 10 s). */
    @Override
    public void close() {
        provider.ifPresent(p -> {
            var done = p.shutdown().join(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
            if (!done.isSuccess()) {
                log.warn("Exporting the last spans failed or took longer than {} s; they are lost", SHUTDOWN_SECONDS);
            }
        });
    }

    /** Random ids, but a session root's derived ones while {@link #startSessionRoot} starts it. */
    private static final class SessionRootIds implements IdGenerator {

        static final ThreadLocal<SessionTrace> FORCED = new ThreadLocal<>();

        private static final IdGenerator RANDOM = IdGenerator.random();

        @Override
        public String generateSpanId() {
            SessionTrace forced = FORCED.get();
            return forced == null ? RANDOM.generateSpanId() : forced.rootSpanId();
        }

        @Override
        public String generateTraceId() {
            SessionTrace forced = FORCED.get();
            return forced == null ? RANDOM.generateTraceId() : forced.traceId();
        }
    }
}
