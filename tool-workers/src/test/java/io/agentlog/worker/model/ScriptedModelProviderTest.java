package io.agentlog.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScriptedModelProviderTest {

    static final WorkContext CONTEXT =
            new WorkContext("s-1", "w-1", "s-1/w-1", Instant.parse("2026-11-25T12:05:00Z"), "worker-1", 1);

    private final ScriptedModelProvider provider = new ScriptedModelProvider();

    static ModelCall call(int turn, List<ScriptedTurn> script) {
        return ModelCall.newBuilder()
                .setModel(new ModelSpec("scripted", "", null, null, Map.of(), "", null))
                .setMessages(List.of(
                        Message.newBuilder()
                                .setRole(Role.SYSTEM)
                                .setContent("You are terse.")
                                .build(),
                        Message.newBuilder()
                                .setRole(Role.USER)
                                .setContent("Fetch the page, please")
                                .build()))
                .setTools(List.of())
                .setTurn(turn)
                .setScript(script)
                .build();
    }

    static ScriptedTurn turn(String text, ToolCall... calls) {
        return ScriptedTurn.newBuilder()
                .setText(text)
                .setToolCalls(List.of(calls))
                .build();
    }

    static ToolCall toolCall(String id, String name, String arguments) {
        return ToolCall.newBuilder()
                .setId(id)
                .setName(name)
                .setArguments(arguments)
                .build();
    }

    @Test
    void shouldStreamItsTextWordByWordAndAnswerTheSameText() {
        // Given a text turn
        List<String> streamed = new java.util.ArrayList<>();

        // When it is completed with a token stream
        ModelResult result =
                provider.complete(call(0, List.of(turn("The answer is 42.\nDone."))), CONTEXT, streamed::add);

        // Then the words came one by one, and together they are the answer
        assertThat(streamed).containsExactly("The ", "answer ", "is ", "42.\n", "Done.");
        assertThat(String.join("", streamed)).isEqualTo(result.reply().getText());
    }

    @Test
    void shouldAnswerWithToolCallsOfTheTurnWhenTheScriptHasThem() {
        // Given
        var script = List.of(
                turn("", toolCall("", "http_fetch", "{\"url\":\"http://127.0.0.1/\"}"), toolCall("mine", "noop", "{}")),
                turn("done"));

        // When
        ModelResult result = provider.complete(call(0, script), CONTEXT);

        // Then
        assertThat(result.reply().getToolCalls())
                .extracting(ToolCall::getId, ToolCall::getName, ToolCall::getArguments)
                .containsExactly(
                        tuple("call_0_0", "http_fetch", "{\"url\":\"http://127.0.0.1/\"}"),
                        tuple("mine", "noop", "{}"));
        assertThat(result.reply().getFinishReason()).isEqualTo("tool_calls");
        assertThat(result.reply().getText()).isEmpty();
    }

    @Test
    void shouldAnswerWithTextWhenTheTurnHasNoToolCalls() {
        // When
        ModelResult result = provider.complete(call(1, List.of(turn("first"), turn("The page says hello."))), CONTEXT);

        // Then
        assertThat(result.reply().getText()).isEqualTo("The page says hello.");
        assertThat(result.reply().getToolCalls()).isEmpty();
        assertThat(result.reply().getFinishReason()).isEqualTo("stop");
    }

    @Test
    void shouldReportSyntheticUsageOfOneTokenPerFourCharactersWhenAnswering() {
        // Given: input "You are terse." (14) + "Fetch the page, please" (22) = 36 chars; output 20 chars
        ModelResult result = provider.complete(call(0, List.of(turn("The page says hello!"))), CONTEXT);

        // Then
        assertThat(result.usage().getInputTokens()).isEqualTo(9);
        assertThat(result.usage().getOutputTokens()).isEqualTo(5);
        assertThat(ScriptedModelProvider.tokens(1)).isEqualTo(1);
        assertThat(ScriptedModelProvider.tokens(0)).isZero();
    }

    @Test
    void shouldAnswerACompactionCallWithTheTranscriptCutShortAndTakeNoTurnOfTheScript() {
        // Given a summary request past the script's end, with a long line in its transcript
        ModelCall summary = ModelCall.newBuilder(call(5, List.of(turn("only turn"))))
                .setMessages(List.of(
                        Message.newBuilder()
                                .setRole(Role.SYSTEM)
                                .setContent("Summarize.")
                                .build(),
                        Message.newBuilder()
                                .setRole(Role.USER)
                                .setContent("Summarize this conversation:\n\nuser: the code is 4711\ntool result: "
                                        + "z".repeat(500))
                                .build()))
                .setCompaction(true)
                .build();

        // When
        ModelResult result = provider.complete(summary, CONTEXT);

        // Then it keeps every line, each cut short, and calls no tool
        assertThat(result.reply().getText())
                .startsWith("Summary:")
                .contains("- user: the code is 4711")
                .doesNotContain("z".repeat(ScriptedModelProvider.SUMMARY_LINE_CHARS));
        assertThat(result.reply().getToolCalls()).isEmpty();
    }

    @Test
    void shouldFailWithClearErrorWhenTheTurnIsPastTheScriptEnd() {
        assertThatThrownBy(() -> provider.complete(call(2, List.of(turn("a"), turn("b"))), CONTEXT))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("no turn 2")
                .hasMessageContaining("the script has 2 turn(s)");
        assertThatThrownBy(() -> provider.complete(call(0, List.of()), CONTEXT))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("the script has 0 turn(s)");
    }

    @Test
    void shouldGiveTheSameAnswerWhenCalledTwice() {
        var script = List.of(turn("x", toolCall("", "noop", "{}")));
        assertThat(provider.complete(call(0, script), CONTEXT)).isEqualTo(provider.complete(call(0, script), CONTEXT));
    }
}
