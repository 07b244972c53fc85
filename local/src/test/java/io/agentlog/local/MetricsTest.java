package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.worker.WorkerMetricsConfig;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus metrics of the engine ({@code GET /metrics} on its HTTP API) and of the worker (its own endpoint),
 * on a real broker: a session that runs moves the counters, the gauges and the histograms of both.
 */
class MetricsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static InProcessStack stack;
    private static HttpCalls engine;
    private static HttpCalls worker;

    @BeforeAll
    static void startStack() throws Exception {
        stack = InProcessStack.startWithHttp(
                "metrics",
                DEADLINE,
                HttpApiConfig.loopback(),
                config -> config.metrics(WorkerMetricsConfig.loopback(0)));
        engine = new HttpCalls(stack.httpBase());
        worker = new HttpCalls("http://127.0.0.1:" + stack.worker.metricsPort().orElseThrow());
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldCountASessionInTheEnginesAndTheWorkersMetricsWhenItRuns() {
        // Given an agent whose scripted model (a model name of its own) calls a worker tool, then answers, and both
        // endpoints' metrics before. The shared test broker's earlier tasks run again on this stack's new engine, so
        // counters without a model label may grow by more than this session; those labelled with its model may not.
        String model = "metrics-" + UUID.randomUUID();
        String agent = stack.putAgent("metrics", """
                model: {provider: scripted, name: %s}
                tools: [noop]
                script:
                  - toolCalls: [{id: n1, name: noop, arguments: {}}]
                  - text: done
                """.formatted(model));
        PrometheusText engineBefore = scrape(engine);
        PrometheusText workerBefore = scrape(worker);

        // When a session of it runs to its end
        String session = engine.post("/sessions", """
                        {"agent": "%s", "input": "go"}""".formatted(agent))
                .json()
                .path("sessionId")
                .asText();
        // (other sessions replayed on this engine complete too: wait for this one, then for its final model turn's
        // tokens, counted when its last step is applied, a moment after the state shows it)
        Awaitility.await("the session completed")
                .atMost(DEADLINE)
                .until(() -> "COMPLETED"
                        .equals(engine.get("/sessions/" + session)
                                .json()
                                .path("status")
                                .asText()));
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
