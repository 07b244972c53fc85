package io.agentlog.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * One scenario of the suite for real, small: {@code bench throughput --quick --sessions 10} starts a throwaway stack
 * (broker with JMX, engine, worker as child processes), runs its sessions and measures the cost from /proc and the
 * broker's request metrics. The numbers are not asserted, only that each was measured.
 */
class BenchSuiteRunTest {

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void shouldMeasureStepsCpuAndBrokerRequestsWhenThroughputRunsOnAThrowawayStack(@TempDir Path results)
            throws Exception {
        // When
        CliRun run =
                CliRun.of("bench", "throughput", "--quick", "--sessions", "10", "--results-dir", results.toString());

        // Then
        assertThat(run.exitCode()).as(run.err()).isEqualTo(CommandLine.ExitCode.OK);
        JsonNode report = new ObjectMapper().readTree(run.out());
        assertThat(report.get("status").asText()).as(run.out()).isEqualTo("ok");
        assertThat(report.at("/measured/completed").asInt()).isEqualTo(10);
        assertThat(report.at("/measured/steps").asLong()).isEqualTo(50);
        assertThat(report.at("/measured/steady/stepsPerSecond").asDouble()).isPositive();
        JsonNode cost = report.at("/measured/cost");
        assertThat(cost.get("unit").asText()).isEqualTo("step");
        assertThat(cost.get("cpu"))
                .extracting(c -> c.get("process").asText())
                .containsExactlyInAnyOrder("broker", "engine", "worker", "total");
        assertThat(cost.at("/brokerRequests/total").asLong()).isPositive();
        assertThat(cost.at("/brokerRequests/byType").has("Produce")).isTrue();
        assertThat(report.at("/measured/idle/cpu")).isNotEmpty();
        assertThat(report.get("targets")).hasSize(3);
        assertThat(report.get("targets"))
                .allSatisfy(t -> assertThat(t.has("measured")).isTrue());
        try (var dirs = Files.list(results)) {
            Path dir = dirs.findFirst().orElseThrow();
            JsonNode summary = new ObjectMapper().readTree(Files.readString(dir.resolve("summary.json")));
            assertThat(summary.at("/scenarios/0/status").asText()).isEqualTo("ok");
            assertThat(dir.resolve("throughput.json")).exists();
        }
    }
}
