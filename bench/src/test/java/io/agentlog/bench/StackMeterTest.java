package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cost of a window from two snapshots: CPU per process and in all, broker requests per unit and by type. */
class StackMeterTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldGiveCpuPerStepAndCoresWhenTwoSnapshotsBoundAWindow() throws Exception {
        // Given 2 s in which the broker used 1,000 CPU-ms and the engine 400, and 100 steps were done
        StackMeter.Snapshot from = new StackMeter.Snapshot(
                10 * SECOND,
                Map.of("broker", 5_000L, "engine", 2_000L),
                Map.of("Produce", 100L, "Fetch", 1_000L, "Metadata", 7L));
        StackMeter.Snapshot to = new StackMeter.Snapshot(
                12 * SECOND,
                Map.of("broker", 6_000L, "engine", 2_400L),
                Map.of("Produce", 400L, "Fetch", 1_500L, "Metadata", 7L, "ShareFetch", 200L));

        // When
        Cost cost = StackMeter.between(from, to, 100, "step", false);

        // Then
        assertThat(cost.seconds()).isEqualTo(2.0);
        assertThat(cost.cpuOf("broker").orElseThrow().cpuMs()).isEqualTo(1_000);
        assertThat(cost.cpuOf("broker").orElseThrow().cores()).isEqualTo(0.5);
        assertThat(cost.cpuOf("engine").orElseThrow().msPerUnit()).isEqualTo(4.0);
        assertThat(cost.cpuOf(Cost.TOTAL).orElseThrow().msPerUnit()).isEqualTo(14.0);
        assertThat(cost.cpuOf(Cost.TOTAL).orElseThrow().cores()).isEqualTo(0.7);
        assertThat(cost.brokerRequests().total()).isEqualTo(1_000);
        assertThat(cost.brokerRequests().perUnit()).isEqualTo(10.0);
        assertThat(cost.brokerRequests().perSecond()).isEqualTo(500.0);
        assertThat(cost.brokerRequests().byType())
                .containsExactly(Map.entry("Fetch", 5.0), Map.entry("Produce", 3.0), Map.entry("ShareFetch", 2.0));
        JsonNode json = new ObjectMapper().readTree(Json.compact(cost));
        assertThat(json.get("unit").asText()).isEqualTo("step");
        assertThat(json.at("/cpu/2/process").asText()).isEqualTo("total");
        assertThat(json.has("note")).isFalse();
    }

    @Test
    void shouldGiveRequestsPerSecondWhenTheWindowHasNoUnits() {
        // Given an idle window of 4 s
        StackMeter.Snapshot from = new StackMeter.Snapshot(0, Map.of("worker", 100L), Map.of("Heartbeat", 10L));
        StackMeter.Snapshot to = new StackMeter.Snapshot(4 * SECOND, Map.of("worker", 300L), Map.of("Heartbeat", 30L));

        Cost cost = StackMeter.between(from, to, 0, "none", false);

        assertThat(cost.cpuOf("worker").orElseThrow().cores()).isEqualTo(0.05);
        assertThat(cost.cpuOf("worker").orElseThrow().msPerUnit()).isNull();
        assertThat(cost.brokerRequests().perUnit()).isNull();
        assertThat(cost.brokerRequests().byType()).containsExactly(Map.entry("Heartbeat", 5.0));
    }

    @Test
    void shouldSayWhatIsMissingWhenTheProcessesOrTheBrokerMetricsAreUnknown() {
        StackMeter.Snapshot empty = new StackMeter.Snapshot(0, Map.of(), Map.of());

        assertThat(StackMeter.between(empty, empty, 10, "step", true).note()).contains("--bootstrap-servers");
        Cost noJmx = StackMeter.between(
                new StackMeter.Snapshot(0, Map.of("engine", 1L), Map.of()),
                new StackMeter.Snapshot(SECOND, Map.of("engine", 11L), Map.of()),
                10,
                "step",
                false);
        assertThat(noJmx.brokerRequests()).isNull();
        assertThat(noJmx.note()).contains("no JMX connector");
        assertThat(noJmx.cpuOf("engine").orElseThrow().msPerUnit()).isEqualTo(1.0);
    }

    @Test
    void shouldAddWindowsUpWhenSnapshotsAreSummed() {
        // Given two windows of 1 s each, the engine using 100 and then 300 CPU-ms
        StackMeter.Snapshot from = new StackMeter.Snapshot(0, Map.of("engine", 1_000L), Map.of())
                .plus(new StackMeter.Snapshot(5 * SECOND, Map.of("engine", 2_000L), Map.of()));
        StackMeter.Snapshot to = new StackMeter.Snapshot(SECOND, Map.of("engine", 1_100L), Map.of())
                .plus(new StackMeter.Snapshot(6 * SECOND, Map.of("engine", 2_300L), Map.of()));

        Cost cost = StackMeter.between(from, to, 8, "session", false);

        assertThat(cost.seconds()).isEqualTo(2.0);
        assertThat(cost.cpuOf("engine").orElseThrow().cpuMs()).isEqualTo(400);
        assertThat(cost.cpuOf("engine").orElseThrow().msPerUnit()).isEqualTo(50.0);
    }
}
