package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How each scenario puts its measurements next to the targets, without a stack. */
class ScenarioResultsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Cost IDLE = StackMeter.between(
            new StackMeter.Snapshot(0, Map.of("broker", 0L, "engine", 0L, "worker", 0L), Map.of()),
            new StackMeter.Snapshot(10_000_000_000L, Map.of("broker", 500L, "engine", 300L, "worker", 200L), Map.of()),
            0,
            "none",
            false);

    private static Cost perStep(long engineMs, long steps) {
        return StackMeter.between(
                new StackMeter.Snapshot(0, Map.of("engine-1", 0L), Map.of()),
                new StackMeter.Snapshot(1_000_000_000L, Map.of("engine-1", engineMs), Map.of()),
                steps,
                "step",
                false);
    }

    private static BenchResult.Latency latency(double... samples) {
        return BenchResult.Latency.of(Percentiles.of(samples));
    }

    @Test
    void shouldSetTheSteadyRateAndTheTailAgainstTheirTargetsWhenThroughputIsMeasured() throws Exception {
        // Given a quick run: 1,000 sessions, 70 steps/s, p99 four times p50, 0.1 core idle
        ThroughputScenario.Measured measured = new ThroughputScenario.Measured(
                1_000,
                5,
                1_000,
                0,
                0,
                List.of(),
                5_000,
                80,
                new ThroughputScenario.Steady(500, 4_500, 57.1, 70.05),
                latency(100, 100, 100, 400),
                Map.of("1", latency(400), "2", latency(100, 100, 100)),
                latency(9_000),
                IDLE,
                perStep(2_000, 70));

        // When
        Scenario.Result result = ThroughputScenario.result(measured, SuiteSizes.quick());

        // Then: every target is reported, none met, and the quick run says it had fewer sessions
        assertThat(result.targets())
                .extracting(Target::name)
                .containsExactly("stepsPerSecond", "stepLatencyP99OverP50", "idleCores");
        assertThat(result.targets()).extracting(Target::met).containsExactly(false, false, false);
        assertThat(result.targets().get(0).measured()).isEqualTo(70.05);
        assertThat(result.targets().get(0).note()).isEqualTo("measured with 1000 concurrent sessions, not 10000");
        assertThat(result.targets().get(1).measured()).isEqualTo(4.0);
        assertThat(result.targets().get(2).measured()).isEqualTo(0.1);
        assertThat(result.highlights()).containsEntry("stepsPerSecond", 70.05).containsEntry("cpuMsPerStep", 28.571);
        JsonNode json = JSON.readTree(Json.compact(result.measured()));
        assertThat(json.at("/steady/stepsPerSecond").asDouble()).isEqualTo(70.05);
        assertThat(json.at("/cost/cpu/0/msPerUnit").asDouble()).isEqualTo(28.571);
    }

    @Test
    void shouldCompareTheOneStepSessionWithTheSumOfItsHopsWhenLatencyIsMeasured() {
        // Given hops of 10 + 20 + 10 ms and 1-step sessions of 44 ms at p50
        LatencyScenario.Floors floors = new LatencyScenario.Floors(latency(10), latency(20), latency(10));
        LatencyScenario.Measured measured = new LatencyScenario.Measured(
                50, 5, 50, 0, List.of(), latency(44), floors, floors.sumP50(), 1.1, IDLE, perStep(100, 50));

        // When
        Scenario.Result result = LatencyScenario.result(measured);

        // Then
        assertThat(floors.sumP50()).isEqualTo(40.0);
        assertThat(result.targets()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("oneStepOverFloors");
            assertThat(t.measured()).isEqualTo(1.1);
            assertThat(t.met()).isTrue();
        });
    }

    @Test
    void shouldExtrapolateTheHeapToTheTargetWhenFewerSessionsParked() {
        // Given 5,000 parked sessions that grew the heap from 100 MiB by 2,000 bytes each
        long baseline = 100L * 1024 * 1024;
        ParkedScenario.Measured measured = new ParkedScenario.Measured(
                5_000,
                5_000,
                0,
                List.of(),
                30,
                "2g",
                new ParkedScenario.Growth(baseline, baseline + 5_000 * 2_000L, 2_000.0),
                new ParkedScenario.Growth(null, null, null),
                new ParkedScenario.Growth(0L, 0L, 0.0),
                new ParkedScenario.Growth(1_000L, 5_001_000L, 1_000.0),
                Map.of("agentlog-engine-sessions-changelog", 5_001_000L),
                baseline + 100_000 * 2_000L,
                IDLE,
                perStep(1_000, 5_000),
                null);

        // When
        Scenario.Result result = ParkedScenario.result(measured);

        // Then: 100 MiB + 200 MB = 290.7 MiB, under the 512 MiB target, and said to be extrapolated
        Target target = result.targets().getFirst();
        assertThat(target.measured()).isEqualTo(290.735);
        assertThat(target.met()).isTrue();
        assertThat(target.note()).startsWith("extrapolated from 5000 parked sessions");
        assertThat(result.highlights()).containsEntry("changelogBytesPerSession", 1_000.0);
    }

    @Test
    void shouldReportNoRecoveryTimeWhenSomeOwnedSessionsNeverSteppedAgain() {
        RecoveryScenario.Measured measured = recovery(500, 250, 240, latency(7_000, 9_000));

        Target target = RecoveryScenario.result(measured).targets().getFirst();

        assertThat(target.measured()).isNull();
        assertThat(target.met()).isNull();
        assertThat(target.note())
                .contains("measured with 500 live sessions, not 10000")
                .contains("10 affected sessions had not stepped again");
    }

    @Test
    void shouldMeetTheRecoveryTargetWhenEveryOwnedSessionSteppedWithinTenSeconds() {
        RecoveryScenario.Measured measured = recovery(10_000, 100, 100, latency(7_000, 9_500));

        Target target = RecoveryScenario.result(measured).targets().getFirst();

        assertThat(target.measured()).isEqualTo(9.5);
        assertThat(target.met()).isTrue();
        assertThat(target.note()).isNull();
    }

    private static RecoveryScenario.Measured recovery(
            int sessions, int affected, int recovered, BenchResult.Latency recoveryMs) {
        return new RecoveryScenario.Measured(
                sessions,
                Math.max(0, sessions - RecoveryScenario.STEPPING),
                Math.min(sessions, RecoveryScenario.STEPPING),
                2,
                1,
                "engine-1",
                Set.of(0, 2, 4),
                affected,
                recovered,
                recoveryMs,
                latency(300),
                latency(4_000),
                IDLE,
                perStep(500, 100),
                null);
    }

    @Test
    void shouldCompareTheEnginesCpuPerStepOfTheLastWindowWithTheFirstWhenHistoryIsMeasured() {
        HistoryScenario.Window first = new HistoryScenario.Window(1, 26, 100, latency(50), 1.5, perStep(200, 100));
        HistoryScenario.Window last = new HistoryScenario.Window(175, 200, 100, latency(80), 3.5, perStep(400, 100));
        HistoryScenario.Measured measured =
                new HistoryScenario.Measured(4, 200, 4, 0, List.of(), first, last, 2.0, 1.6, IDLE);

        Scenario.Result result = HistoryScenario.result(measured);

        assertThat(HistoryScenario.engineCpuPerStep(first.cost())).isEqualTo(2.0);
        assertThat(result.targets().getFirst().measured()).isEqualTo(2.0);
        assertThat(result.targets().getFirst().met()).isFalse();
        assertThat(result.highlights())
                .containsEntry("engineCpuMsPerStepLast", 4.0)
                .containsEntry("engineNetMsPerStepLast", 3.5);
        // 1 s windows of 100 steps: 200 and 400 CPU-ms, less 0.05 core idle = 50 ms
        assertThat(HistoryScenario.netOfIdle(first.cost(), 0.05)).isEqualTo(1.5);
        assertThat(HistoryScenario.netOfIdle(last.cost(), 0.05)).isEqualTo(3.5);
        assertThat(HistoryScenario.netOfIdle(last.cost(), null)).isNull();
    }

    @Test
    void shouldLeaveMetOutWhenNothingWasMeasured() {
        Target target = Target.atMost("x", "x <= 1", 1, null, "s", "not measurable here");

        assertThat(target.met()).isNull();
        assertThat(Json.compact(target))
                .isEqualTo("{\"name\":\"x\",\"target\":\"x <= 1\",\"unit\":\"s\",\"note\":\"not measurable here\"}");
        assertThat(Target.atLeast("y", "y >= 2", 2, 2.0, "n", null).met()).isTrue();
    }
}
