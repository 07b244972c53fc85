package io.agentlog.bench;

import java.util.Arrays;
import java.util.Collection;

/**
 * Latency samples, sorted once, with nearest-rank percentiles: the p-th percentile of n samples is the sample of
 * rank {@code ceil(p/100 * n)} in ascending order, so every reported value is one that was measured (no
 * interpolation). With 100 samples p99 is the 99th smallest; with fewer than 100 it is the largest.
 */
public final class Percentiles {

    private final double[] sorted;

    private Percentiles(double[] sorted) {
        this.sorted = sorted;
    }

    /** The samples (copied); may be empty. */
    public static Percentiles of(double... samples) {
        double[] copy = samples.clone();
        for (double sample : copy) {
            if (Double.isNaN(sample)) {
                throw new IllegalArgumentException("latency samples must be numbers, but one was NaN");
            }
        }
        Arrays.sort(copy);
        return new Percentiles(copy);
    }

    public static Percentiles of(Collection<? extends Number> samples) {
        return of(samples.stream().mapToDouble(Number::doubleValue).toArray());
    }

    /** The samples, in ascending order. */
    public java.util.List<Double> values() {
        return java.util.Arrays.stream(sorted).boxed().toList();
    }

    public int count() {
        return sorted.length;
    }

    public boolean isEmpty() {
        return sorted.length == 0;
    }

    /**
     * The nearest-rank percentile.
     *
     * @param percentile in (0, 100]
     * @throws IllegalStateException when there are no samples
     */
    public double percentile(double percentile) {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], but was " + percentile);
        }
        if (sorted.length == 0) {
            throw new IllegalStateException("no samples: a percentile of nothing is undefined");
        }
        // p * n / 100 is exact for whole percentiles; the epsilon keeps 99.9 * 1000 / 100 from rounding up a rank
        long rank = (long) Math.ceil(percentile * sorted.length / 100.0 - 1e-9);
        int index = (int) Math.min(Math.max(rank, 1), sorted.length) - 1;
        return sorted[index];
    }

    public double min() {
        if (sorted.length == 0) {
            throw new IllegalStateException("no samples: the minimum of nothing is undefined");
        }
        return sorted[0];
    }

    public double max() {
        if (sorted.length == 0) {
            throw new IllegalStateException("no samples: the maximum of nothing is undefined");
        }
        return sorted[sorted.length - 1];
    }

    public double mean() {
        if (sorted.length == 0) {
            throw new IllegalStateException("no samples: the mean of nothing is undefined");
        }
        return Arrays.stream(sorted).sum() / sorted.length;
    }

    @Override
    public String toString() {
        return sorted.length == 0
                ? "Percentiles[no samples]"
                : "Percentiles[n=" + sorted.length + ", p50=" + percentile(50) + ", p99=" + percentile(99) + ", max="
                        + max() + "]";
    }
}
