package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SuiteSizesTest {

    @Test
    void shouldUseTheIssuesSizesWhenFull() {
        SuiteSizes full = SuiteSizes.of(false);

        assertThat(full.throughputSessions()).isEqualTo(10_000);
        assertThat(full.parkedSessions()).isEqualTo(100_000);
        assertThat(full.recoverySessions()).isEqualTo(10_000);
        assertThat(full.historyTurns()).isEqualTo(200);
    }

    @Test
    void shouldBeSmallerWhenQuick() {
        SuiteSizes quick = SuiteSizes.of(true);

        assertThat(quick.throughputSessions()).isEqualTo(1_000);
        assertThat(quick.parkedSessions()).isEqualTo(5_000);
        assertThat(quick.historyTurns()).isEqualTo(200);
        assertThat(quick.idle()).isLessThan(SuiteSizes.full().idle());
        assertThat(quick.idleSettle()).isLessThan(SuiteSizes.full().idleSettle());
    }

    @Test
    void shouldReplaceOnlyTheNamedScenariosCountWhenGivenSessions() {
        SuiteSizes quick = SuiteSizes.quick();

        assertThat(quick.withSessions("throughput", 50).throughputSessions()).isEqualTo(50);
        assertThat(quick.withSessions("throughput", 50).parkedSessions()).isEqualTo(quick.parkedSessions());
        assertThat(quick.withSessions("floors", 7).floorSamples()).isEqualTo(7);
        assertThat(quick.withSessions("parked", 300).parkedSessions()).isEqualTo(300);
        assertThat(quick.withSessions("recovery", 40).recoverySessions()).isEqualTo(40);
        assertThat(quick.withSessions("history", 1).historySessions()).isEqualTo(1);
        // fewer sessions than rounds: one session per round
        assertThat(quick.withSessions("latency", 3).latencySessions()).isEqualTo(3);
        assertThat(quick.withSessions("latency", 3).latencyRounds()).isEqualTo(3);
    }

    @Test
    void shouldRefuseBadSizesQuotingTheValue() {
        assertThatThrownBy(() -> SuiteSizes.quick().withSessions("parked", 0))
                .hasMessage("--sessions must be at least 1, but was 0");
        assertThatThrownBy(() -> SuiteSizes.quick().withSessions("nope", 5)).hasMessage("no scenario is called 'nope'");
        assertThatThrownBy(() -> new SuiteSizes(
                        10,
                        5,
                        10,
                        10,
                        2,
                        10,
                        10,
                        Duration.ofSeconds(1),
                        1,
                        200,
                        101,
                        Duration.ofSeconds(1),
                        Duration.ZERO))
                .hasMessage("the history window must be at most half the turns (200), but was 101");
        assertThatThrownBy(() -> new SuiteSizes(
                        10,
                        5,
                        10,
                        4,
                        5,
                        10,
                        10,
                        Duration.ofSeconds(1),
                        1,
                        200,
                        25,
                        Duration.ofSeconds(1),
                        Duration.ZERO))
                .hasMessage("latency rounds must be at most the latency sessions (4), but was 5");
        assertThatThrownBy(() -> new SuiteSizes(
                        10, 5, 10, 10, 2, 10, 10, Duration.ZERO, 1, 200, 25, Duration.ofSeconds(1), Duration.ZERO))
                .hasMessageContaining("must be positive, but were PT0S");
        assertThatThrownBy(() -> new SuiteSizes(
                        10,
                        5,
                        10,
                        10,
                        2,
                        10,
                        10,
                        Duration.ofSeconds(1),
                        1,
                        200,
                        25,
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(-1)))
                .hasMessage("the idle settling time must not be negative, but was PT-1S");
    }
}
