package io.agentlog.engine.internal;

import java.time.Duration;
import java.util.OptionalLong;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * The one wall-clock punctuation of a task, set for its earliest timer instead of ticking at a fixed rate.
 *
 * <p>Why: Kafka Streams commits a task after every punctuation, and under exactly-once a commit is a transaction
 * (offsets, markers, coordinator writes) even when nothing changed, because a task re-commits the offsets it once
 * consumed. A fixed one-second tick on every task kept an idle engine and its broker busy with about one transaction
 * per task per second. The alarm fires when the earliest timer of the task is due, and otherwise at most every
 * {@link #MAX_SLEEP} (a safety net; every timer written by a step moves the alarm forward through {@link #due}).
 *
 * <p>Call only from the task's processor (in {@code init}, {@code process} or a punctuation): Streams schedules
 * punctuations for the processor node being run.
 */
final class TimerAlarm {

    /** The earliest an alarm fires after it is set: due timers that follow each other closely fire together. */
    static final Duration MIN_DELAY = Duration.ofMillis(50);
    /** The latest an alarm fires after it is set, whatever the timers say. */
    static final Duration MAX_SLEEP = Duration.ofSeconds(60);

    private final ProcessorContext<?, ?> context;
    private final Punctuator punctuator;
    private Cancellable scheduled;
    private long firesAt = Long.MAX_VALUE;

    TimerAlarm(ProcessorContext<?, ?> context, Punctuator punctuator) {
        this.context = context;
        this.punctuator = punctuator;
    }

    /** A timer is due at {@code dueMs} (wall clock): fire no later than then. */
    void due(long dueMs) {
        long now = context.currentSystemTimeMs();
        long at = Math.max(dueMs, now + MIN_DELAY.toMillis());
        if (scheduled == null || at < firesAt) {
            set(now, at);
        }
    }

    /** Sets the alarm for the earliest timer left ({@code empty}: none), replacing whatever was set. */
    void reset(OptionalLong earliestDueMs) {
        long now = context.currentSystemTimeMs();
        long latest = now + MAX_SLEEP.toMillis();
        long at = Math.min(latest, Math.max(earliestDueMs.orElse(latest), now + MIN_DELAY.toMillis()));
        set(now, at);
    }

    /** The wall-clock time the alarm fires at, {@link Long#MAX_VALUE} when none is set. */
    long firesAt() {
        return firesAt;
    }

    void cancel() {
        if (scheduled != null) {
            scheduled.cancel();
            scheduled = null;
            firesAt = Long.MAX_VALUE;
        }
    }

    private void set(long now, long at) {
        if (scheduled != null) {
            scheduled.cancel();
        }
        long delay = Math.min(Math.max(at - now, MIN_DELAY.toMillis()), MAX_SLEEP.toMillis());
        scheduled = context.schedule(Duration.ofMillis(delay), PunctuationType.WALL_CLOCK_TIME, punctuator);
        firesAt = now + delay;
    }
}
