package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentlog.engine.EngineConfig;
import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.telemetry.SessionTrace;
import io.agentlog.telemetry.TracingConfig;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.WorkerMetricsConfig;
import io.opentelemetry.proto.trace.v1.Span;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The observability of the engine and the worker on a real broker: their Prometheus metrics ({@code GET /metrics} on
 * the engine's HTTP API and on the worker's own endpoint), where a session that runs moves the counters, the gauges
 * and the histograms of both; and their OpenTelemetry traces, exported over OTLP/HTTP to a local receiver.
 */
class MetricsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    /** Spans are exported this soon after they end, so the test does not wait the SDK's default 5 s. */
    private static final Duration EXPORT_DELAY = Duration.ofMillis(200);

    private static OtlpReceiver otlp;
    private static InProcessStack stack;
    private static HttpCalls engine;
    private static HttpCalls worker;

    @BeforeAll
    static void startStack() throws Exception {
        otlp = OtlpReceiver.start();
        stack = InProcessStack.startWithHttp(
                "metrics",
                DEADLINE,
                HttpApiConfig.loopback(),
                config -> config.metrics(WorkerMetricsConfig.loopback(0)).tracing(tracing(WorkerConfig.SERVICE_NAME)),
                config -> config.tracing(tracing(EngineConfig.SERVICE_NAME)));
        engine = new HttpCalls(stack.httpBase());
        worker = new HttpCalls("http://127.0.0.1:" + stack.worker.metricsPort().orElseThrow());
    }

    private static TracingConfig tracing(String service) {
        return TracingConfig.otlp(otlp.tracesEndpoint(), service).withExportDelay(EXPORT_DELAY);
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
        if (otlp != null) {
            otlp.close();
        }
    }

    @Test
    void shouldCountASessionInTheEnginesAndTheWorkersMetricsWhenItRuns() {
        // Given an agent whose scripted model (a model name of its own) calls a worker tool, then answers, and both
        // endpoints' metrics before. The shared test broker's earlier tasks run again on this stack's new engine, so
        // counters without a model label may grow by more than this session; those labelled with its model may not.
        String model = "metrics-" + UUID.randomUUID();
        String agent = putToolThenAnswerAgent("metrics", model);
        PrometheusText engineBefore = scrape(engine);
        PrometheusText workerBefore = scrape(worker);

        // When a session of it runs to its end
        String session = start(agent);
        // (other sessions replayed on this engine complete too: wait for this one, then for its final model turn's
        // tokens, counted when its last step is applied, a moment after the state shows it)
        awaitCompleted(session);
        JsonNode usage = engine.get("/sessions/" + session).json().path("usage");
        String outputTokens = tokens("agentlog_model_tokens_total", model, "output");
        Awaitility.await("the engine counted the session's output tokens")
                .atMost(DEADLINE)
                .until(() -> scrape(engine).increase(engineBefore, outputTokens)
                        == usage.path("outputTokens").asDouble());
        PrometheusText engineAfter = scrape(engine);

        // Then the engine counted it started and ended, its two model turns, its tool call, its results and tokens
        assertThat(usage.path("inputTokens").asLong()).isPositive();
        Map<String, Double> engineAtLeast = Map.of(
                "agentlog_sessions_started_total",
                1.0,
                "agentlog_sessions_ended_total{status=\"COMPLETED\"}",
                1.0,
                "agentlog_model_turns_requested_total{kind=\"turn\"}",
                2.0,
                "agentlog_tool_calls_requested_total{pool=\"tools\"}",
                1.0,
                "agentlog_work_results_total{kind=\"TOOL\",outcome=\"OK\"}",
                1.0,
                "agentlog_work_roundtrip_seconds_count{kind=\"MODEL\"}",
                2.0);
        assertAtLeast(engineAfter.increases(engineBefore, engineAtLeast.keySet()), engineAtLeast);
        Map<String, Double> engineExactly = Map.of(
                tokens("agentlog_model_tokens_total", model, "input"),
                usage.path("inputTokens").asDouble(),
                tokens("agentlog_model_tokens_total", model, "output"),
                usage.path("outputTokens").asDouble());
        assertThat(engineAfter.increases(engineBefore, engineExactly.keySet())).isEqualTo(engineExactly);

        // And it shows Kafka Streams' and the JVM's own metrics
        assertThat(engineAfter.names()).anyMatch(name -> name.startsWith("kafka_stream_"));
        assertThat(engineAfter.names()).contains("jvm_memory_used_bytes", "jvm_threads_live_threads");

        // And the worker acknowledged both model calls and the tool call, and counted the calls' tokens
        String calls =
                "agentlog_worker_model_calls_total{model=\"" + model + "\",outcome=\"OK\",provider=\"scripted\"}";
        Awaitility.await("the worker counted the session's two model calls")
                .atMost(DEADLINE)
                .until(() -> scrape(worker).increase(workerBefore, calls) == 2);
        PrometheusText workerAfter = scrape(worker);
        Map<String, Double> workerAtLeast = Map.of(
                "agentlog_worker_items_total{outcome=\"ACCEPT\",pool=\"model\"}",
                2.0,
                "agentlog_worker_items_total{outcome=\"ACCEPT\",pool=\"tools\"}",
                1.0,
                "agentlog_worker_item_duration_seconds_count{kind=\"tool\",pool=\"tools\"}",
                1.0);
        assertAtLeast(workerAfter.increases(workerBefore, workerAtLeast.keySet()), workerAtLeast);
        Map<String, Double> workerExactly = Map.of(
                calls,
                2.0,
                tokens("agentlog_worker_model_tokens_total", model, "input"),
                usage.path("inputTokens").asDouble());
        assertThat(workerAfter.increases(workerBefore, workerExactly.keySet())).isEqualTo(workerExactly);
        assertThat(workerAfter.value("agentlog_worker_lost_locks_total{pool=\"model\"}"))
                .isZero();
        assertThat(workerAfter.names()).contains("agentlog_worker_items_in_flight", "agentlog_worker_pool_lag");
    }

    @Test
    void shouldTraceASessionAcrossTheEngineAndTheWorkerInOneTraceWhenAnOtlpEndpointIsSet() {
        // Given an agent whose scripted model (a model name of its own) calls a worker tool, then answers
        String model = "traced-" + UUID.randomUUID();
        String agent = putToolThenAnswerAgent("traced", model);

        // When a session of it runs to its end
        String session = start(agent);
        awaitCompleted(session);
        JsonNode usage = engine.get("/sessions/" + session).json().path("usage");

        // Then the receiver gets, in the one trace derived from the session id, the session's root span, the engine's
        // steps, the worker's two model calls and its tool call
        SessionTrace derived = SessionTrace.of(session);
        String invokeAgent = "invoke_agent " + agent;
        Awaitility.await("the session's spans were exported").atMost(DEADLINE).until(() -> {
            List<OtlpReceiver.ReceivedSpan> trace = otlp.trace(derived.traceId());
            return count(trace, "chat " + model) == 2
                    && count(trace, "execute_tool noop") == 1
                    && count(trace, invokeAgent) == 1;
        });
        List<OtlpReceiver.ReceivedSpan> trace = otlp.trace(derived.traceId());
        assertThat(otlp.spans())
                .filteredOn(span -> span.attribute("gen_ai.conversation.id").equals(Optional.of(session)))
                .allSatisfy(span -> assertThat(span.traceId()).isEqualTo(derived.traceId()));
        OtlpReceiver.ReceivedSpan root = only(trace, invokeAgent);
        assertThat(root.spanId()).isEqualTo(derived.rootSpanId());
        assertThat(root.service()).isEqualTo(EngineConfig.SERVICE_NAME);
        Map<String, OtlpReceiver.ReceivedSpan> steps = trace.stream()
                .filter(span -> span.name().equals("step " + agent))
                .collect(Collectors.toMap(OtlpReceiver.ReceivedSpan::spanId, span -> span));
        assertThat(steps.values())
                .hasSizeGreaterThanOrEqualTo(4)
                .allSatisfy(step -> assertThat(step.parentSpanId()).isEqualTo(derived.rootSpanId()));

        // And each model call is a CLIENT span of the worker, a child of the engine step that requested it, with the
        // GenAI attributes and the session's token counts
        List<OtlpReceiver.ReceivedSpan> chats = trace.stream()
                .filter(span -> span.name().equals("chat " + model))
                .toList();
        assertThat(chats).allSatisfy(chat -> {
            assertThat(chat.service()).isEqualTo(WorkerConfig.SERVICE_NAME);
            assertThat(chat.kind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(steps).containsKey(chat.parentSpanId());
            assertThat(steps.get(chat.parentSpanId())
                            .attribute("agentlog.step.events")
                            .orElseThrow())
                    .contains("ModelRequested");
            assertThat(chat.attributes())
                    .containsEntry("gen_ai.operation.name", "chat")
                    .containsEntry("gen_ai.provider.name", "scripted")
                    .containsEntry("gen_ai.request.model", model)
                    .containsEntry("gen_ai.conversation.id", session)
                    .doesNotContainKey("error.type");
        });
        assertThat(chats.stream()
                        .map(chat ->
                                chat.attribute("gen_ai.response.finish_reasons").orElseThrow()))
                .containsExactlyInAnyOrder("tool_calls", "stop");
        assertThat(sum(chats, "gen_ai.usage.input_tokens"))
                .isEqualTo(usage.path("inputTokens").asLong());
        assertThat(sum(chats, "gen_ai.usage.output_tokens"))
                .isEqualTo(usage.path("outputTokens").asLong());
        assertThat(root.attribute("gen_ai.usage.input_tokens"))
                .contains(usage.path("inputTokens").asText());

        // And the tool call is an execute_tool span, a child of the step that requested it
        OtlpReceiver.ReceivedSpan tool = only(trace, "execute_tool noop");
        assertThat(tool.attributes())
                .containsEntry("gen_ai.operation.name", "execute_tool")
                .containsEntry("gen_ai.tool.name", "noop")
                .containsEntry("gen_ai.tool.call.id", "n1");
        assertThat(steps.get(tool.parentSpanId())
                        .attribute("agentlog.step.events")
                        .orElseThrow())
                .contains("ToolRequested");
    }

    /** Registers an agent whose scripted model {@code model} calls the worker tool {@code noop} (id n1), then answers. */
    private static String putToolThenAnswerAgent(String prefix, String model) {
        return stack.putAgent(prefix, """
                model: {provider: scripted, name: %s}
                tools: [noop]
                script:
                  - toolCalls: [{id: n1, name: noop, arguments: {}}]
                  - text: done
                """.formatted(model));
    }

    /** Starts a session of {@code agent} through the HTTP API; returns its id. */
    private static String start(String agent) {
        return engine.post("/sessions", """
                        {"agent": "%s", "input": "go"}""".formatted(agent))
                .json()
                .path("sessionId")
                .asText();
    }

    private static void awaitCompleted(String session) {
        Awaitility.await("the session completed")
                .atMost(DEADLINE)
                .until(() -> "COMPLETED"
                        .equals(engine.get("/sessions/" + session)
                                .json()
                                .path("status")
                                .asText()));
    }

    private static long count(List<OtlpReceiver.ReceivedSpan> spans, String name) {
        return spans.stream().filter(span -> span.name().equals(name)).count();
    }

    private static OtlpReceiver.ReceivedSpan only(List<OtlpReceiver.ReceivedSpan> spans, String name) {
        List<OtlpReceiver.ReceivedSpan> named =
                spans.stream().filter(span -> span.name().equals(name)).toList();
        assertThat(named).as("spans named " + name).hasSize(1);
        return named.getFirst();
    }

    private static long sum(List<OtlpReceiver.ReceivedSpan> spans, String attribute) {
        return spans.stream()
                .mapToLong(span -> Long.parseLong(span.attribute(attribute).orElseThrow()))
                .sum();
    }

    private static String tokens(String name, String model, String type) {
        return name + "{model=\"" + model + "\",provider=\"scripted\",type=\"" + type + "\"}";
    }

    private static void assertAtLeast(Map<String, Double> increases, Map<String, Double> expected) {
        expected.forEach(
                (name, least) -> assertThat(increases.get(name)).as(name).isGreaterThanOrEqualTo(least));
    }

    private static PrometheusText scrape(HttpCalls endpoint) {
        HttpCalls.Response response = endpoint.get("/metrics");
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().get("content-type"))
                .anyMatch(type -> type.startsWith("text/plain; version=0.0.4"));
        return new PrometheusText(response.body());
    }
}
