package io.agentlog.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.Role;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HistoryCacheTest {

    private static Message text(String content) {
        return Message.newBuilder().setRole(Role.USER).setContent(content).build();
    }

    @Test
    void shouldAnswerOnlyForTheSameSessionStartAndSize() {
        HistoryCache cache = new HistoryCache(1024 * 1024);
        cache.put("s", 100, List.of(text("a"), text("b")));

        assertThat(cache.get("s", 100, 2)).get().asList().hasSize(2);
        assertThat(cache.get("s", 100, 3)).isEmpty();
        // an id used again by a new session after retention
        assertThat(cache.get("s", 200, 2)).isEmpty();
    }

    @Test
    void shouldGrowWithAppliedStepsAndForgetWhenTheyDoNotFollowOn() {
        HistoryCache cache = new HistoryCache(1024 * 1024);
        cache.put("s", 1, List.of(text("a")));

        cache.appended("s", 1, List.of(text("b"), text("c")));
        assertThat(cache.get("s", 1, 3)).get().asList().extracting("content").containsExactly("a", "b", "c");

        cache.appended("s", 7, List.of(text("x")));
        assertThat(cache.get("s", 1, 3)).isEmpty();
    }

    @Test
    void shouldStayWithinItsBytesDroppingTheLeastRecentlyUsed() {
        HistoryCache cache = new HistoryCache(20_000);
        IntStream.range(0, 50).forEach(i -> cache.put("s" + i, 1, List.of(text("x".repeat(1000)))));

        assertThat(cache.get("s0", 1, 1)).isEmpty();
        assertThat(cache.get("s49", 1, 1)).isPresent();
        // a conversation bigger than a quarter of the cache is not kept
        cache.put("huge", 1, List.of(text("y".repeat(5000))));
        assertThat(cache.get("huge", 1, 1)).isEmpty();
    }
}
