package io.agentlog.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Leader-epoch requests are shared only where that cannot hide a leader change: a delivery uses an answer to a request
 * sent after it was delivered, never one sent before.
 */
class AdminLeaderEpochsTest {

    private static final TopicPartition P0 = new TopicPartition("agentlog.work.model", 0);
    private static final TopicPartition P1 = new TopicPartition("agentlog.work.model", 1);
    private static final TopicPartition TOOLS0 = new TopicPartition("agentlog.work.tools", 0);

    private final AtomicLong clock = new AtomicLong(1_000);
    private final List<Set<TopicPartition>> requests = new ArrayList<>();
    private int epoch = 0;
    private final AdminLeaderEpochs epochs = new AdminLeaderEpochs(
            partitions -> {
                requests.add(partitions);
                Map<TopicPartition, CompletableFuture<Integer>> answers = new HashMap<>();
                partitions.forEach(p -> answers.put(p, CompletableFuture.completedFuture(epoch)));
                return answers;
            },
            clock::get,
            Duration.ofSeconds(1));

    @Test
    void shouldShareARequestSentAfterTheDeliveryAcrossThePartitionsItAskedFor() {
        // Given both partitions seen once, and then two records of one poll that returned at t=2000
        epochs.current(P0, 1_000);
        epochs.current(P1, 1_000);
        clock.set(2_005);
        assertThat(epochs.current(P0, 2_000)).isZero();

        // When the other record, on the other partition, asks
        epoch = 1;
        int other = epochs.current(P1, 2_000);

        // Then it used the answer to the request sent at t=2005, which asked for both partitions
        assertThat(other).isZero();
        assertThat(requests).hasSize(3);
        assertThat(requests.get(2)).containsExactlyInAnyOrder(P0, P1);
    }

    @Test
    void shouldNeverUseARequestSentBeforeTheDelivery() {
        // Given a request sent at t=1005
        clock.set(1_005);
        epochs.current(P0, 1_000);

        // When a record delivered later (t=1010), after its leader changed, asks
        epoch = 1;
        clock.set(1_012);
        int later = epochs.current(P0, 1_010);

        // Then it asked again and saw the new leader's epoch
        assertThat(later).isEqualTo(1);
        assertThat(requests).hasSize(2);
    }

    @Test
    void shouldAskForAPartitionTheLatestRequestLeftOut() {
        // Given a request for P0 only
        epochs.current(P0, 1_000);

        // When a record of P1 delivered at the same time asks
        epochs.current(P1, 1_000);

        // Then a new request asked for it (and for P0 again)
        assertThat(requests).containsExactly(Set.of(P0), Set.of(P0, P1));
    }

    @Test
    void shouldKeepTopicsApart() {
        epochs.current(P0, 1_000);
        epochs.current(TOOLS0, 1_000);

        assertThat(requests).containsExactly(Set.of(P0), Set.of(TOOLS0));
    }

    @Test
    void shouldAskAgainAfterAFailedAnswer() {
        // Given a request whose answer failed
        AdminLeaderEpochs failingOnce = new AdminLeaderEpochs(
                partitions -> {
                    requests.add(partitions);
                    Map<TopicPartition, CompletableFuture<Integer>> answers = new HashMap<>();
                    partitions.forEach(p -> answers.put(
                            p,
                            requests.size() == 1
                                    ? CompletableFuture.failedFuture(new KafkaException("no leader"))
                                    : CompletableFuture.completedFuture(3)));
                    return answers;
                },
                clock::get,
                Duration.ofSeconds(1));
        assertThatThrownBy(() -> failingOnce.current(P0, 1_000))
                .isInstanceOf(KafkaException.class)
                .hasMessageContaining("cannot learn the leader epoch of agentlog.work.model-0");

        // When the next delivery of the same poll asks
        int answer = failingOnce.current(P0, 1_000);

        // Then it did not take the failure for an answer
        assertThat(answer).isEqualTo(3);
        assertThat(requests).hasSize(2);
    }
}
