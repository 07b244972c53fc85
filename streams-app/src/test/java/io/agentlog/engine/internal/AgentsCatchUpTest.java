package io.agentlog.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A miss in the agents store waits for the global thread while it is behind the topic, and no longer. */
class AgentsCatchUpTest {

    @Test
    void shouldReturnOnceTheGlobalThreadReachesTheEndOffsetsOfNow() throws Exception {
        // Given a topic that ends at offset 5 while the global thread has processed up to offset 2
        AgentsCatchUp catchUp = new AgentsCatchUp(() -> Map.of(0, 5L), Duration.ofSeconds(30));
        catchUp.processed(0, 2);

        // When a lookup misses, and the global thread processes offset 4
        CompletableFuture<Boolean> waited = CompletableFuture.supplyAsync(catchUp::await);
        catchUp.processed(0, 4);

        // Then the store is caught up: a second look finds what was registered before the miss
        assertThat(waited.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void shouldGiveUpAfterItsLongestWaitWhenTheGlobalThreadStaysBehind() {
        AgentsCatchUp behind = new AgentsCatchUp(() -> Map.of(0, 5L), Duration.ofMillis(50));
        behind.processed(0, 1);

        assertThat(behind.await()).isFalse();
    }

    @Test
    void shouldBeCaughtUpAtOnceWhenTheStoreIsCurrentOrTheTopicEmpty() {
        AgentsCatchUp current = new AgentsCatchUp(() -> Map.of(0, 5L), Duration.ofMillis(50));
        current.processed(0, 4);

        assertThat(current.await()).isTrue();
        assertThat(new AgentsCatchUp(() -> Map.of(0, 0L), Duration.ofMillis(50)).await())
                .isTrue();
        assertThat(AgentsCatchUp.inline().await()).isTrue();
    }
}
