package io.agentlog.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.StreamChunk;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WatchTokenLineTest {

    @Test
    void shouldPrintEachAttemptOfAnAnswerOnItsOwnLineEndedByTheNextEvent() {
        // Given the line of `agentlog watch`
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        WatchCommand.TokenLine line = new WatchCommand.TokenLine(out);

        // When an attempt streams two chunks, is retried, and then an event is printed
        line.add(chunk("a1", 0, "Hello "));
        line.add(chunk("a1", 1, "wor"));
        line.add(chunk("a2", 0, "Hello\nworld"));
        line.end();
        out.println("event");
        out.flush();

        // Then each attempt has a line of its own, and the event starts on a new one
        assertThat(text.toString()).isEqualTo("~ Hello wor\n~ Hello\n  world\nevent\n");
    }

    private static StreamChunk chunk(String attempt, int index, String text) {
        return new StreamChunk("s-1", "w-1", attempt, index, text, Instant.EPOCH);
    }
}
