package io.agentlog.local.chaos;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One chaos run.
 *
 * @param sessions sessions submitted, spread evenly over {@code window}
 * @param kills SIGKILLs of a random engine, worker or (with several brokers) broker, at random times within the window
 * @param seed seeds the kill times, targets and restart delays (the targets also depend on which processes are up)
 * @param dir where the stack keeps its data, logs and ledgers
 * @param window how long submitting takes; the kills fall within it
 * @param timeout how long to wait for every session's result after the window
 * @param maxRecovery recovery after a kill slower than this breaks guarantee 6
 * @param resubmitEvery every n-th task is submitted twice (the same session id, hence one session); 0 = never
 * @param brokers 1 (a single broker) or {@value #CLUSTER_BROKERS}: a KRaft cluster with replication factor 3 and min
 *     ISR 2 whose brokers are killed too, never more than one at a time
 */
public record ChaosOptions(
        int sessions,
        int kills,
        long seed,
        Path dir,
        Duration window,
        Duration timeout,
        Duration maxRecovery,
        int resubmitEvery,
        int brokers) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MAX_RECOVERY = Duration.ofSeconds(30);
    public static final int DEFAULT_RESUBMIT_EVERY = 5;
    public static final int CLUSTER_BROKERS = 3;

    public ChaosOptions {
        if (sessions < 1) {
            throw new IllegalArgumentException("sessions must be at least 1, but was " + sessions);
        }
        if (kills < 0) {
            throw new IllegalArgumentException("kills must not be negative, but was " + kills);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the submit window must be positive, but was " + window);
        }
        if (brokers != 1 && brokers != CLUSTER_BROKERS) {
            throw new IllegalArgumentException("brokers must be 1 or " + CLUSTER_BROKERS + ", but was " + brokers);
        }
        if (resubmitEvery < 0) {
            throw new IllegalArgumentException("resubmitEvery must not be negative, but was " + resubmitEvery);
        }
    }

    /** A window long enough that kills are some seconds apart: 6 s per kill, at least 10 s. */
    public static Duration defaultWindow(int kills) {
        return Duration.ofSeconds(Math.max(10, 6L * kills));
    }

    public static ChaosOptions of(int sessions, int kills, long seed, Path dir) {
        return new ChaosOptions(
                sessions,
                kills,
                seed,
                dir,
                defaultWindow(kills),
                DEFAULT_TIMEOUT,
                DEFAULT_MAX_RECOVERY,
                DEFAULT_RESUBMIT_EVERY,
                1);
    }
}
