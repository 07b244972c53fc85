package io.agentlog.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.Usage;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventLinesTest {

    @Test
    void shouldSummariseToolCallsWhenModelRespondsWithThem() {
        ModelResponded responded = new ModelResponded(
                "w-1",
                0,
                "",
                List.of(new ToolCall("call_0_0", "write_file", "{}"), new ToolCall("call_0_1", "list_files", "{}")),
                new Usage(10L, 2L, 0L, 0L));

        String line = EventLines.format(event(1, responded));

        assertThat(line).isEqualTo("#1   model response  turn 0: 2 tool calls write_file, list_files (12 tokens)");
    }

    @Test
    void shouldShowToolArgumentsAndPoolWhenToolIsRequested() {
        ToolRequested requested = new ToolRequested(
                "w-2", "call_0_0", "read_file", "{\"path\":\"a.txt\"}", "engine", java.time.Instant.EPOCH);

        assertThat(EventLines.format(event(2, requested)))
                .isEqualTo("#2   tool call       read_file {\"path\":\"a.txt\"} [call_0_0 on engine]");
    }

    @Test
    void shouldFlattenAndShortenOutputWhenSessionEnds() {
        String output = "line one\nline two " + "x".repeat(200);

        String line = EventLines.format(event(9, new SessionEnded(ResultStatus.COMPLETED, output, null)));

        assertThat(line)
                .startsWith("#9   ended           COMPLETED: \"line one / line two xxx")
                .endsWith("...\"");
        assertThat(line).hasSizeLessThan(150);
    }

    private static SessionEvent event(long seq, Object payload) {
        return SessionEvent.newBuilder()
                .setSessionId("s")
                .setSeq(seq)
                .setAt(Instant.EPOCH)
                .setEvent(payload)
                .build();
    }
}
