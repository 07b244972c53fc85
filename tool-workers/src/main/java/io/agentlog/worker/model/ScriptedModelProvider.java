package io.agentlog.worker.model;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The deterministic, offline model: turn {@code n} of a session is answered by entry {@code n} of the agent
 * definition's script, carried in {@link ModelCall#getScript()}. It serves the demo and the tests.
 *
 * <p>Tool call ids come from the script, or are {@code call_<turn>_<n>} where the script leaves them blank. Usage is
 * synthetic but stable, one token per four characters (rounded up), so budgets can be tested: input counts the
 * conversation's text and tool call arguments, output the reply's. A compaction call (a summary of older history)
 * is answered with the transcript's lines, each cut short, and takes no turn of the script.
 */
public final class ScriptedModelProvider implements ModelProvider {

    public static final String NAME = "scripted";

    static final int CHARS_PER_TOKEN = 4;

    static final int SUMMARY_LINE_CHARS = 120;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ModelResult complete(ModelCall call, WorkContext context) {
        return complete(call, context, TokenStream.NONE);
    }

    /** Streams the scripted text word by word (the whole answer is known at once; watchers see it arrive). */
    @Override
    public ModelResult complete(ModelCall call, WorkContext context, TokenStream tokens) {
        ModelResult result = answer(call);
        String text = result.reply().getText();
        if (text != null && !call.getCompaction()) {
            WORDS.matcher(text).results().forEach(word -> tokens.append(word.group()));
        }
        return result;
    }

    /** A word and the spaces after it. */
    private static final java.util.regex.Pattern WORDS = java.util.regex.Pattern.compile("\\S+\\s*|\\s+");

    private static ModelResult answer(ModelCall call) {
        if (call.getCompaction()) {
            return summary(call);
        }
        int turn = call.getTurn();
        List<ScriptedTurn> script = call.getScript();
        if (turn < 0 || turn >= script.size()) {
            throw new TerminalWorkException("the scripted model has no turn " + turn + ": the script has "
                    + script.size() + " turn(s), numbered from 0; add turns to the agent definition's script"
                    + " or end the conversation with a text-only turn");
        }
        ScriptedTurn scripted = script.get(turn);
        List<ToolCall> calls = new ArrayList<>();
        for (int n = 0; n < scripted.getToolCalls().size(); n++) {
            ToolCall call0 = scripted.getToolCalls().get(n);
            String id = call0.getId() == null || call0.getId().isBlank() ? "call_" + turn + "_" + n : call0.getId();
            calls.add(ToolCall.newBuilder(call0).setId(id).build());
        }
        ModelReply reply = ModelReply.newBuilder()
                .setText(scripted.getText())
                .setToolCalls(calls)
                .setFinishReason(calls.isEmpty() ? FinishReasons.STOP : FinishReasons.TOOL_CALLS)
                .build();
        return new ModelResult(
                reply,
                Usage.newBuilder()
                        .setInputTokens(tokens(inputChars(call.getMessages())))
                        .setOutputTokens(tokens(scripted.getText().length() + argumentChars(calls)))
                        .setCostMicros(0)
                        .build());
    }

    /**
     * A summary of older history (context compaction), deterministic: the transcript's lines, each cut to
     * {@value #SUMMARY_LINE_CHARS} characters.
     */
    private static ModelResult summary(ModelCall call) {
        String transcript =
                call.getMessages().isEmpty() ? "" : call.getMessages().getLast().getContent();
        StringBuilder text = new StringBuilder("Summary:");
        transcript
                .lines()
                .filter(line -> !line.isBlank())
                .skip(1) // the request's own first line
                .forEach(line -> text.append("\n- ")
                        .append(line.length() <= SUMMARY_LINE_CHARS ? line : line.substring(0, SUMMARY_LINE_CHARS)));
        ModelReply reply = ModelReply.newBuilder()
                .setText(text.toString())
                .setToolCalls(List.of())
                .setFinishReason(FinishReasons.STOP)
                .build();
        return new ModelResult(
                reply,
                Usage.newBuilder()
                        .setInputTokens(tokens(inputChars(call.getMessages())))
                        .setOutputTokens(tokens(text.length()))
                        .setCostMicros(0)
                        .build());
    }

    private static long inputChars(List<Message> messages) {
        long chars = 0;
        for (Message message : messages) {
            chars += message.getContent().length() + argumentChars(message.getToolCalls());
        }
        return chars;
    }

    private static long argumentChars(List<ToolCall> calls) {
        long chars = 0;
        for (ToolCall call : calls) {
            chars += call.getName().length() + call.getArguments().length();
        }
        return chars;
    }

    static long tokens(long chars) {
        return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }
}
