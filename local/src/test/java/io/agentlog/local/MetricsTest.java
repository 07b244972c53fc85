package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.worker.WorkerMetricsConfig;
import java.time.Duration;
import java.util.Map;
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
        // Given an agent whose scripted model calls a worker tool, then answers, and both endpoints' metrics before
        String agent = stack.putAgent("metrics", """
                tools: [noop]
                script:
                  - toolCalls: [{id: n1, name: noop, arguments: {}}]
                  - text: done
                """);
        PrometheusText engineBefore = scrape(engine);
        PrometheusText workerBefore = scrape(worker);

        // When a session of it runs to its end
        String session = engine.post("/sessions", """
                        {"agent": "%s", "input": "go"}""".formatted(agent))
                .json()
                .path("sessionId")
                .asText();
        Awaitility.await("the session completed and the engine's gauge counted it")
                .atMost(DEADLINE)
                .until(() -> scrape(engine).value("agentlog_sessions{status=\"COMPLETED\"}")
                        > engineBefore.value("agentlog_sessions{status=\"COMPLETED\"}"));
        PrometheusText engineAfter = scrape(engine);
        JsonNode usage = engine.get("/sessions/" + session).json().path("usage");

        // Then the engine counted it started and ended, its two model turns, its tool call, its results and tokens
        assertThat(usage.path("inputTokens").asLong()).isPositive();
        Map<String, Double> engineCounted = Map.of(
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
                2.0,
                scriptedTokens("agentlog_model_tokens_total", "input"),
                usage.path("inputTokens").asDouble(),
                scriptedTokens("agentlog_model_tokens_total", "output"),
                usage.path("outputTokens").asDouble());
        assertThat(engineAfter.increases(engineBefore, engineCounted.keySet())).isEqualTo(engineCounted);

        // And it shows Kafka Streams' and the JVM's own metrics
        assertThat(engineAfter.names()).anyMatch(name -> name.startsWith("kafka_stream_"));
        assertThat(engineAfter.names()).contains("jvm_memory_used_bytes", "jvm_threads_live_threads");

        // And the worker acknowledged both model calls and the tool call, and counted the calls' tokens
        Awaitility.await("the worker acknowledged the session's three items")
                .atMost(DEADLINE)
                .until(() -> scrape(worker)
                                .increase(
                                        workerBefore, "agentlog_worker_items_total{outcome=\"ACCEPT\",pool=\"model\"}")
                        == 2);
        PrometheusText workerAfter = scrape(worker);
        Map<String, Double> workerCounted = Map.of(
                "agentlog_worker_items_total{outcome=\"ACCEPT\",pool=\"tools\"}",
                1.0,
                "agentlog_worker_model_calls_total{model=\"\",outcome=\"OK\",provider=\"scripted\"}",
                2.0,
                "agentlog_worker_item_duration_seconds_count{kind=\"tool\",pool=\"tools\"}",
                1.0,
                scriptedTokens("agentlog_worker_model_tokens_total", "input"),
                usage.path("inputTokens").asDouble());
        assertThat(workerAfter.increases(workerBefore, workerCounted.keySet())).isEqualTo(workerCounted);
        assertThat(workerAfter.value("agentlog_worker_lost_locks_total{pool=\"model\"}"))
                .isZero();
        assertThat(workerAfter.names()).contains("agentlog_worker_items_in_flight", "agentlog_worker_pool_lag");
    }

    private static String scriptedTokens(String name, String type) {
        return name + "{model=\"\",provider=\"scripted\",type=\"" + type + "\"}";
    }

    private static PrometheusText scrape(HttpCalls endpoint) {
        HttpCalls.Response response = endpoint.get("/metrics");
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().get("content-type"))
                .anyMatch(type -> type.startsWith("text/plain; version=0.0.4"));
        return new PrometheusText(response.body());
    }
}
