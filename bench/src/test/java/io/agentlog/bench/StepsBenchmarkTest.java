package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.testkit.SharedBroker;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The driver against a stand-in engine ({@link FakeEngine}) on the real broker: counting, timing and failures. */
class StepsBenchmarkTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static String bootstrap;

    @BeforeAll
    static void setUp() {
        bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, DEADLINE);
    }

    @Test
    void shouldCountEveryStepAndTheFailuresWhenSessionsRun() throws Exception {
        // Given an engine that fails measured session 3 and first answers "unknown agent"
        int sessions = 12;
        int steps = 4;
        try (FakeEngine engine = new FakeEngine(bootstrap, steps, id -> id.matches("bench-[0-9a-f]{8}-3"))) {
            StepsBenchmark benchmark = new StepsBenchmark(20, 3);

            // When
            BenchResult result = benchmark.run(new StepsBenchmark.Options(bootstrap, sessions, steps, 5, DEADLINE));

            // Then: one retried probe, two more warm-up sessions, then the measured ones
            assertThat(engine.tasksSeen()).isEqualTo(1 + 3 + sessions);
            assertThat(result.completed()).isEqualTo(sessions - 1);
            assertThat(result.failed()).isEqualTo(1);
            assertThat(result.timedOut()).isZero();
            assertThat(result.failures())
                    .singleElement()
                    .asString()
                    .matches("bench-[0-9a-f]{8}-3 BUDGET_EXCEEDED: step budget spent");
            assertThat(result.steps()).isEqualTo((long) sessions * steps);
            assertThat(result.stepLatencyMs().count()).isEqualTo(sessions * steps);
            assertThat(result.stepLatencyMs().p50()).isEqualTo((double) FakeEngine.STEP_MS);
            assertThat(result.stepLatencyMs().p99()).isEqualTo((double) FakeEngine.STEP_MS);
            assertThat(result.modelHopMs().count()).isEqualTo(sessions * (steps + 1));
            assertThat(result.modelHopMs().max()).isEqualTo((double) FakeEngine.MODEL_HOP_MS);
            assertThat(result.toolHopMs().count()).isEqualTo(sessions * steps);
            assertThat(result.toolHopMs().p50()).isEqualTo((double) FakeEngine.TOOL_HOP_MS);
            assertThat(result.sessionLatencyMs().count()).isEqualTo(sessions);
            assertThat(result.sessionLatencyMs().p50()).isPositive();
            assertThat(result.txRoundTripMs().count()).isEqualTo(20);
            assertThat(result.wallSeconds()).isPositive();
            assertThat(result.stepsPerSecond()).isPositive();
            JsonNode json = new ObjectMapper().readTree(result.toJson());
            assertThat(json.get("benchmark").asText()).isEqualTo("steps");
            assertThat(json.get("sessions").asInt()).isEqualTo(sessions);
            assertThat(json.get("concurrency").asInt()).isEqualTo(5);
            assertThat(json.get("warmupSessions").asInt()).isEqualTo(3);
        }
    }

    @Test
    void shouldRegisterAFreshVersionWhenRunAgain() {
        int first = BenchStack.nextVersion(bootstrap, StepsAgent.NAME);

        int second = BenchStack.nextVersion(bootstrap, StepsAgent.NAME);

        assertThat(second).isEqualTo(first).isPositive();
    }

    @Test
    void shouldSayTheEngineIsMissingWhenNothingAnswersTheProbe() {
        // Given no engine at all
        StepsBenchmark benchmark = new StepsBenchmark(5, 1);

        // When / Then
        assertThatThrownBy(() -> benchmark.run(new StepsBenchmark.Options(bootstrap, 1, 1, 1, Duration.ofSeconds(2))))
                .isInstanceOf(BenchException.class)
                .hasMessageContaining("had no result within 2 s: is the engine running on " + bootstrap);
    }

    @Test
    void shouldRefuseBadOptionsQuotingTheValue() {
        assertThatThrownBy(() -> new StepsBenchmark.Options(bootstrap, 0, 5, 1, DEADLINE))
                .hasMessage("sessions must be at least 1, but was 0");
        assertThatThrownBy(() -> new StepsBenchmark.Options(bootstrap, 10, 5, 0, DEADLINE))
                .hasMessage("concurrency must be at least 1, but was 0");
        assertThatThrownBy(() -> new StepsBenchmark.Options(bootstrap, 10, 0, 1, DEADLINE))
                .hasMessageContaining("but was 0");
        assertThatThrownBy(() -> new StepsBenchmark.Options(" ", 10, 5, 1, DEADLINE))
                .hasMessageContaining("bootstrap servers");
        assertThatThrownBy(() -> new StepsBenchmark.Options(bootstrap, 10, 5, 1, Duration.ZERO))
                .hasMessage("timeout must be positive, but was PT0S");
        assertThat(StepsBenchmark.Options.of(bootstrap, 10, 5).concurrency()).isEqualTo(10);
    }
}
