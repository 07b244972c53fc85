package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {

    @Test
    void shouldPickTheSampleOfNearestRankWhenThereAreOneHundred() {
        // Given 1..100 in a scrambled order
        double[] samples = IntStream.rangeClosed(1, 100)
                .map(i -> (i * 37) % 100 + 1)
                .asDoubleStream()
                .toArray();

        // When
        Percentiles percentiles = Percentiles.of(samples);

        // Then
        assertThat(percentiles.count()).isEqualTo(100);
        assertThat(percentiles.percentile(50)).isEqualTo(50.0);
        assertThat(percentiles.percentile(99)).isEqualTo(99.0);
        assertThat(percentiles.percentile(100)).isEqualTo(100.0);
        assertThat(percentiles.percentile(1)).isEqualTo(1.0);
        assertThat(percentiles.max()).isEqualTo(100.0);
        assertThat(percentiles.min()).isEqualTo(1.0);
        assertThat(percentiles.mean()).isEqualTo(50.5);
    }

    @Test
    void shouldRoundTheRankUpWhenItFallsBetweenSamples() {
        // Given
        Percentiles percentiles = Percentiles.of(List.of(15, 20, 35, 40, 50));

        // When / Then: the textbook example, ranks ceil(0.05*5)=1, ceil(0.3*5)=2, ceil(0.4*5)=2, ceil(0.5*5)=3
        assertThat(percentiles.percentile(5)).isEqualTo(15.0);
        assertThat(percentiles.percentile(30)).isEqualTo(20.0);
        assertThat(percentiles.percentile(40)).isEqualTo(20.0);
        assertThat(percentiles.percentile(50)).isEqualTo(35.0);
        assertThat(percentiles.percentile(99)).isEqualTo(50.0);
    }

    @Test
    void shouldNotRoundAnExactRankUpWhenTheProductIsInexactInBinary() {
        // Given 1..1000: p99.9 is rank 999 exactly, though 99.9 has no exact binary form
        Percentiles percentiles =
                Percentiles.of(IntStream.rangeClosed(1, 1000).asDoubleStream().toArray());

        // When / Then
        assertThat(percentiles.percentile(99.9)).isEqualTo(999.0);
        assertThat(percentiles.percentile(99)).isEqualTo(990.0);
    }

    @Test
    void shouldReturnTheOnlySampleForEveryPercentileWhenThereIsOne() {
        Percentiles percentiles = Percentiles.of(4.2);

        assertThat(percentiles.percentile(0.1)).isEqualTo(4.2);
        assertThat(percentiles.percentile(50)).isEqualTo(4.2);
        assertThat(percentiles.percentile(99)).isEqualTo(4.2);
    }

    @Test
    void shouldNotChangeWhenTheCallerChangesItsArrayAfterwards() {
        double[] samples = {3, 1, 2};
        Percentiles percentiles = Percentiles.of(samples);

        samples[0] = 100;

        assertThat(percentiles.max()).isEqualTo(3.0);
    }

    @Test
    void shouldRefuseAPercentileWhenThereAreNoSamples() {
        Percentiles empty = Percentiles.of();

        assertThat(empty.isEmpty()).isTrue();
        assertThatThrownBy(() -> empty.percentile(50))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no samples");
        assertThatThrownBy(empty::max).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRefuseAPercentileOutsideItsRangeQuotingIt() {
        Percentiles percentiles = Percentiles.of(1, 2, 3);

        assertThatThrownBy(() -> percentiles.percentile(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("percentile must be in (0, 100], but was 0.0");
        assertThatThrownBy(() -> percentiles.percentile(100.5)).hasMessageContaining("100.5");
        assertThatThrownBy(() -> percentiles.percentile(Double.NaN)).hasMessageContaining("NaN");
    }

    @Test
    void shouldRefuseNaNSamples() {
        assertThatThrownBy(() -> Percentiles.of(1, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NaN");
    }
}
