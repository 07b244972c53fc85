package io.agentlog.bench;

import java.time.Duration;

/**
 * The benchmarks' one way to wait: for another process to get somewhere when nothing can be blocked on (an engine
 * that reads a new definition, a JMX connector that opens, a leader election; each caller retries to a deadline), or
 * for time itself to pass (an idle window, a retention). An interrupt ends the benchmark.
 */
final class Pause {

    private Pause() {}

    /** Sleeps {@code duration} (nothing when it is zero or negative); {@code doing} ends "interrupted while ...". */
    static void pause(Duration duration, String doing) {
        if (duration.isNegative() || duration.isZero()) {
            return;
        }
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while " + doing, e);
        }
    }
}
