package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchResultTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldRenderOneJsonObjectWithEveryNumberWhenComplete() throws Exception {
        // Given
        BenchResult result = new BenchResult(
                "steps",
                100,
                5,
                100,
                5,
                99,
                1,
                0,
                495,
                12.3456,
                40.0961,
                BenchResult.Latency.of(Percentiles.of(10, 20, 30)),
                BenchResult.Latency.of(Percentiles.of(4, 6)),
                BenchResult.Latency.of(Percentiles.of(3, 5)),
                BenchResult.Latency.of(Percentiles.of(100.123, 200.456)),
                BenchResult.Latency.of(Percentiles.of(4.0, 5.0)),
                List.of("bench-1 FAILED: boom"),
                new BenchResult.Machine(2, "25+36", "Linux 6.1 amd64"),
                "2026-11-25T10:00:00Z");

        // When
        String text = result.toJson();

        // Then
        assertThat(text).doesNotContain("\n").startsWith("{\"benchmark\":\"steps\",\"sessions\":100,");
        JsonNode json = JSON.readTree(text);
        assertThat(json.get("stepsPerSession").asInt()).isEqualTo(5);
        assertThat(json.get("completed").asInt()).isEqualTo(99);
        assertThat(json.get("failed").asInt()).isEqualTo(1);
        assertThat(json.get("wallSeconds").asDouble()).isEqualTo(12.35);
        assertThat(json.get("stepsPerSecond").asDouble()).isEqualTo(40.1);
        assertThat(json.at("/stepLatencyMs/p50").asDouble()).isEqualTo(20.0);
        assertThat(json.at("/stepLatencyMs/p99").asDouble()).isEqualTo(30.0);
        assertThat(json.at("/stepLatencyMs/max").asDouble()).isEqualTo(30.0);
        assertThat(json.at("/modelHopMs/p50").asDouble()).isEqualTo(4.0);
        assertThat(json.at("/toolHopMs/max").asDouble()).isEqualTo(5.0);
        assertThat(json.at("/sessionLatencyMs/p50").asDouble()).isEqualTo(100.12);
        assertThat(json.at("/txRoundTripMs/p99").asDouble()).isEqualTo(5.0);
        assertThat(json.at("/machine/cores").asInt()).isEqualTo(2);
        assertThat(json.at("/machine/javaVersion").asText()).isEqualTo("25+36");
        assertThat(json.get("failures").get(0).asText()).isEqualTo("bench-1 FAILED: boom");
        assertThat(json.get("date").asText()).isEqualTo("2026-11-25T10:00:00Z");
    }

    @Test
    void shouldLeaveThePercentilesOutWhenThereAreNoSamples() throws Exception {
        BenchResult.Latency none = BenchResult.Latency.of(Percentiles.of());
        BenchResult result = new BenchResult(
                "steps",
                1,
                1,
                1,
                1,
                0,
                1,
                0,
                0,
                0,
                0,
                none,
                none,
                none,
                none,
                BenchResult.Latency.of(Percentiles.of(3)),
                List.of(),
                BenchResult.Machine.current(),
                "now");

        JsonNode json = JSON.readTree(result.toJson());

        assertThat(json.get("stepLatencyMs").toString()).isEqualTo("{\"count\":0}");
        assertThat(json.at("/txRoundTripMs/p50").asDouble()).isEqualTo(3.0);
    }

    @Test
    void shouldDescribeThisMachineWhenAskedForTheCurrentOne() {
        BenchResult.Machine machine = BenchResult.Machine.current();

        assertThat(machine.cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(machine.javaVersion()).isEqualTo(Runtime.version().toString());
    }
}
