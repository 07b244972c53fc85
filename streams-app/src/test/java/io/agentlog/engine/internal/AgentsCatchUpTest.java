package io.agentlog.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A miss in the agents store waits for the global thread only while it is behind the topic. */
class AgentsCatchUpTest {

    @Test
    void shouldWaitUntilTheGlobalThreadReachesTheEndOffsetsOfNow() throws Exception {
        // Given a topic that ends at offset 5 while the global thread has processed up to offset 2
        AgentsCatchUp catchUp = new AgentsCatchUp(() -> Map.of(0, 5L));
        catchUp.processed(0, 2);

        // When a lookup misses, and the global thread processes offset 4 a moment later
        CompletableFuture<Boolean> waited = CompletableFuture.supplyAsync(catchUp::await);
        assertThat(waited).isNotDone();
        catchUp.processed(0, 4);

        // Then the miss waited for it, and says so (a second look is worth it)
        assertThat(waited.get(AgentsCatchUp.MAX_WAIT.toSeconds() + 2, TimeUnit.SECONDS))
                .isTrue();
    }

    @Test
    void shouldNotWaitWhenTheStoreIsCurrentOrTheTopicIsEmpty() {
        AgentsCatchUp current = new AgentsCatchUp(() -> Map.of(0, 5L));
        current.processed(0, 4);
        AgentsCatchUp empty = new AgentsCatchUp(() -> Map.of(0, 0L));

        assertThat(current.await()).isFalse();
        assertThat(empty.await()).isFalse();
        assertThat(AgentsCatchUp.inline().await()).isFalse();
    }
}
