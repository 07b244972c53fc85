package io.agentlog.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.StreamChunk;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChunkedTokensTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-30T01:00:00Z"), ZoneOffset.UTC);

    @Test
    void shouldGatherTokensIntoNumberedChunksAndSendTheRestOnFlush() {
        // Given an attempt's token stream
        List<StreamChunk> sent = new ArrayList<>();
        ChunkedTokens tokens = new ChunkedTokens("s-1", "w-3", "worker-1/1/2", sent::add, CLOCK);

        // When tokens come, shorter than a chunk, then past it, then a line end, then a last one
        tokens.append("Hello");
        tokens.append(", ");
        tokens.append("x".repeat(ChunkedTokens.CHUNK_CHARS));
        tokens.append("line\n");
        tokens.append("end");
        tokens.flush();
        tokens.flush(); // nothing left: nothing sent

        // Then each chunk is numbered within the attempt, and together they are the text
        assertThat(sent).extracting(StreamChunk::index).containsExactly(0, 1, 2);
        assertThat(sent)
                .extracting(StreamChunk::text)
                .containsExactly("Hello, " + "x".repeat(ChunkedTokens.CHUNK_CHARS), "line\n", "end");
        assertThat(sent).allSatisfy(chunk -> {
            assertThat(chunk.sessionId()).isEqualTo("s-1");
            assertThat(chunk.workId()).isEqualTo("w-3");
            assertThat(chunk.attempt()).isEqualTo("worker-1/1/2");
        });

        // And a chunk reads back from its JSON, while anything else on the topic is not taken for one
        assertThat(StreamChunk.fromJson(sent.get(1).toJson())).contains(sent.get(1));
        assertThat(StreamChunk.fromJson("{\"text\": \"no ids\"}")).isEqualTo(Optional.empty());
        assertThat(StreamChunk.fromJson("not json")).isEmpty();
        assertThat(StreamChunk.fromJson(null)).isEmpty();
    }
}
