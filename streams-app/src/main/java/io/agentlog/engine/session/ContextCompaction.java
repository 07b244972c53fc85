package io.agentlog.engine.session;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Compaction;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.ToolCall;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Context compaction: once the conversation a turn would send passes the definition's {@code maxHistoryTokens}
 * (estimated at {@value #CHARS_PER_TOKEN} characters a token), the engine first asks the model to summarize the older
 * messages (a {@code ModelRequested} with {@code compactsThrough}), records the answer as {@code HistoryCompacted}
 * (the summary is appended to the history), and from then on turns send the summary and the messages from the cut on.
 * The history store and the journal keep every message; only what the model is sent changes.
 *
 * <p>The cut keeps at least {@code keepRecentMessages} messages and never separates tool results from the assistant
 * turn that asked for them (a chat API rejects a tool result without its call). A summary is itself summarized with
 * the next older messages, so any number of compactions leaves one summary.
 */
final class ContextCompaction {

    static final int CHARS_PER_TOKEN = 4;

    static final String DEFAULT_PROMPT = "You are summarizing the earlier part of a conversation between a user, an"
            + " AI agent and its tools, so that the agent can go on without it. Write a concise summary that keeps"
            + " every fact, decision, name, number, file path and open task the agent may still need, and what the"
            + " user asked for. Do not address the user; do not call tools.";

    /** How the summary opens in the history, so the model knows what it is reading. */
    static final String SUMMARY_HEADING = "[Summary of the earlier conversation, compacted by agentlog]\n";

    private ContextCompaction() {}

    /**
     * The history index a compaction should summarize up to (exclusive), if the conversation a turn would send
     * ({@code sent}, the {@link #view} of the history) is over the definition's threshold and there are older
     * messages to summarize.
     */
    static OptionalLong due(AgentDefinition definition, SessionState state, List<Message> history, List<Message> sent) {
        Compaction settings = definition.getCompaction();
        if (settings == null || settings.getMaxHistoryTokens() <= 0) {
            return OptionalLong.empty();
        }
        long chars = definition.getSystemPrompt().length();
        for (Message message : sent) {
            chars += chars(message);
        }
        if (chars / CHARS_PER_TOKEN <= settings.getMaxHistoryTokens()) {
            return OptionalLong.empty();
        }
        long cut = cut(state, history, Math.max(1, settings.getKeepRecentMessages()));
        return cut > state.getContextStart() ? OptionalLong.of(cut) : OptionalLong.empty();
    }

    /**
     * The first index kept as it is: {@code keep} messages from the end, moved back past tool results so they stay
     * with their call.
     */
    static long cut(SessionState state, List<Message> history, int keep) {
        long summary = state.getSummaryIndex();
        long cut = history.size();
        int kept = 0;
        while (cut > state.getContextStart() && kept < keep) {
            cut--;
            if (cut != summary) {
                kept++;
            }
        }
        while (cut > state.getContextStart() && (cut == summary || splitsATurn(history, (int) cut))) {
            cut--;
        }
        return cut;
    }

    /** Whether a tool result from {@code cut} on answers an assistant turn before it (a steer may sit between). */
    private static boolean splitsATurn(List<Message> history, int cut) {
        Set<String> asked = new HashSet<>();
        for (int i = cut; i < history.size(); i++) {
            Message message = history.get(i);
            message.getToolCalls().forEach(call -> asked.add(call.getId()));
            if (message.getRole() == Role.TOOL && !asked.contains(message.getToolCallId())) {
                return true;
            }
        }
        return false;
    }

    /** What a model turn is sent of the history: the summary, if any, then the messages from the cut on. */
    static List<Message> view(SessionState state, List<Message> history) {
        long summary = state.getSummaryIndex();
        int start = (int) Math.min(state.getContextStart(), history.size());
        List<Message> out = new ArrayList<>(history.size() - start + 1);
        if (summary >= 0 && summary < history.size()) {
            out.add(history.get((int) summary));
        }
        for (int i = start; i < history.size(); i++) {
            if (i != summary) {
                out.add(history.get(i));
            }
        }
        return out;
    }

    /** The summary request: the instructions, then the older messages (and the previous summary) as a transcript. */
    static ModelCall call(AgentDefinition definition, SessionState state, List<Message> history, long through) {
        StringBuilder transcript = new StringBuilder();
        long summary = state.getSummaryIndex();
        if (summary >= 0 && summary < history.size()) {
            transcript.append(history.get((int) summary).getContent()).append("\n\n");
        }
        for (int i = (int) state.getContextStart(); i < through; i++) {
            if (i != summary) {
                appendEntry(transcript, history.get(i));
            }
        }
        String prompt = definition.getCompaction().getPrompt();
        List<Message> messages = List.of(
                Message.newBuilder()
                        .setRole(Role.SYSTEM)
                        .setContent(prompt == null || prompt.isBlank() ? DEFAULT_PROMPT : prompt)
                        .build(),
                Message.newBuilder()
                        .setRole(Role.USER)
                        .setContent("Summarize this conversation:\n\n" + transcript)
                        .build());
        return ModelCall.newBuilder()
                .setModel(definition.getModel())
                .setMessages(messages)
                .setTools(List.of())
                .setTurn(state.getSteps())
                .setScript(definition.getScript())
                .setCompaction(true)
                .build();
    }

    /** The history entry a summary becomes. */
    static Message summaryMessage(String summary) {
        return Message.newBuilder()
                .setRole(Role.USER)
                .setContent(SUMMARY_HEADING + summary)
                .build();
    }

    private static void appendEntry(StringBuilder out, Message message) {
        String who = switch (message.getRole()) {
            case USER -> "user";
            case ASSISTANT -> "assistant";
            case TOOL -> "tool result" + (message.getToolName() == null ? "" : " (" + message.getToolName() + ")");
            case SYSTEM -> "system";
        };
        out.append(who).append(": ").append(message.getContent()).append('\n');
        for (ToolCall call : message.getToolCalls()) {
            out.append("assistant called ")
                    .append(call.getName())
                    .append(' ')
                    .append(call.getArguments())
                    .append('\n');
        }
    }

    private static long chars(Message message) {
        long chars = message.getContent().length();
        for (ToolCall call : message.getToolCalls()) {
            chars += call.getName().length() + call.getArguments().length();
        }
        return chars;
    }
}
