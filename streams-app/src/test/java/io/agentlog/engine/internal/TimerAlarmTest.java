package io.agentlog.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TimerAlarmTest {

    private static final long NOW = 1_700_000_000_000L;

    private MockProcessorContext<String, OutputRecord> context;
    private TimerAlarm alarm;

    @BeforeEach
    void setUp() {
        context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(NOW);
        alarm = new TimerAlarm(context, timestamp -> {});
    }

    @Test
    void shouldSleepAMinuteWhenTheTaskHasNoTimers() {
        alarm.reset(OptionalLong.empty());

        assertThat(live()).singleElement().satisfies(p -> {
            assertThat(p.getInterval()).isEqualTo(Duration.ofSeconds(60));
            assertThat(p.getType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
        });
        assertThat(alarm.firesAt()).isEqualTo(NOW + 60_000);
    }

    @Test
    void shouldMoveForwardForAnEarlierTimerOnly() {
        alarm.reset(OptionalLong.of(NOW + 30_000));

        alarm.due(NOW + 5_000);
        alarm.due(NOW + 10_000);

        assertThat(live())
                .singleElement()
                .satisfies(p -> assertThat(p.getInterval()).isEqualTo(Duration.ofSeconds(5)));
        assertThat(context.scheduledPunctuators()).hasSize(2);
        assertThat(alarm.firesAt()).isEqualTo(NOW + 5_000);
    }

    @Test
    void shouldWaitAtLeastTheMinimumDelayForATimerAlreadyDue() {
        alarm.reset(OptionalLong.of(NOW + 30_000));

        alarm.due(NOW - 1_000);

        assertThat(live())
                .singleElement()
                .satisfies(p -> assertThat(p.getInterval()).isEqualTo(TimerAlarm.MIN_DELAY));
    }

    @Test
    void shouldNeverSleepLongerThanAMinuteForAFarTimer() {
        alarm.reset(OptionalLong.of(NOW + Duration.ofDays(7).toMillis()));

        assertThat(live())
                .singleElement()
                .satisfies(p -> assertThat(p.getInterval()).isEqualTo(TimerAlarm.MAX_SLEEP));
    }

    @Test
    void shouldSetItselfOnTheFirstTimerWhenNothingWasSet() {
        alarm.due(NOW + Duration.ofDays(7).toMillis());

        assertThat(live())
                .singleElement()
                .satisfies(p -> assertThat(p.getInterval()).isEqualTo(TimerAlarm.MAX_SLEEP));
    }

    @Test
    void shouldLeaveNothingScheduledOnceCancelled() {
        alarm.reset(OptionalLong.of(NOW + 5_000));

        alarm.cancel();

        assertThat(live()).isEmpty();
        assertThat(alarm.firesAt()).isEqualTo(Long.MAX_VALUE);
    }

    private List<CapturedPunctuator> live() {
        return context.scheduledPunctuators().stream()
                .filter(p -> !p.cancelled())
                .toList();
    }
}
