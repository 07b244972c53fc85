package io.agentlog.cli;

import io.agentlog.client.AvroJson;
import io.agentlog.schemas.avro.ApprovalDecided;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.HistoryCompacted;
import io.agentlog.schemas.avro.HumanAnswered;
import io.agentlog.schemas.avro.HumanAsked;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionForked;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.SleepStarted;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.UserMessageAdded;
import io.agentlog.schemas.avro.WorkRejected;
import java.util.stream.Collectors;
import org.apache.avro.generic.IndexedRecord;

/** One readable line per session event, for people watching a session in a terminal. */
public final class EventLines {

    static final int MAX_TEXT = 100;

    private EventLines() {}

    public static String format(SessionEvent event) {
        return String.format("#%-3d %-15s %s", event.getSeq(), kind(event.getEvent()), details(event.getEvent()));
    }

    static String kind(Object event) {
        return switch (event) {
            case SessionStarted e -> "started";
            case ModelRequested e -> e.getCompactsThrough() == null ? "model request" : "compaction request";
            case HistoryCompacted e -> "history compacted";
            case SessionForked e -> "forked";
            case ModelResponded e -> "model response";
            case ToolRequested e -> "tool call";
            case ToolCompleted e -> "tool result";
            case FileWritten e -> e.getDeleted() ? "file deleted" : "file written";
            case UserMessageAdded e -> "user message";
            case WorkRejected e -> "work rejected";
            case ApprovalRequested e -> "awaits approval";
            case ApprovalDecided e -> e.getApproved() ? "approved" : "denied";
            case HumanAsked e -> "asks a human";
            case HumanAnswered e -> "human answered";
            case SleepStarted e -> "sleeps";
            case SessionEnded e -> "ended";
            default -> event.getClass().getSimpleName();
        };
    }

    static String details(Object event) {
        return switch (event) {
            case SessionStarted e -> "agent " + e.getAgent() + " v" + e.getAgentVersion() + ": " + quote(e.getInput());
            case ModelRequested e ->
                e.getCompactsThrough() == null
                        ? "turn " + e.getTurn()
                        : "summarize history before message " + e.getCompactsThrough();
            case HistoryCompacted e -> "messages before " + e.getThrough() + " summarized: " + quote(e.getSummary());
            case SessionForked e ->
                "from session " + e.getSourceSessionId() + " at seq " + e.getAtSeq() + " (" + e.getCopiedEvents()
                        + " events copied)";
            case ModelResponded e ->
                "turn " + e.getTurn() + responseSummary(e) + " ("
                        + (e.getUsage().getInputTokens() + e.getUsage().getOutputTokens()) + " tokens)";
            case ToolRequested e ->
                e.getTool() + " " + abbreviate(e.getArguments()) + " [" + e.getToolCallId() + " on " + e.getPool()
                        + "]";
            case ToolCompleted e ->
                e.getTool() + " " + e.getOutcome() + (e.getIsError() ? " (error)" : "") + ": " + quote(e.getContent())
                        + " [" + e.getToolCallId() + "]";
            case FileWritten e -> e.getPath() + (e.getDeleted() ? "" : " (" + e.getSize() + " bytes)");
            case UserMessageAdded e -> quote(e.getContent());
            case WorkRejected e -> e.getWorkId() + ": " + e.getReason();
            case ApprovalRequested e ->
                e.getTool() + " " + abbreviate(e.getArguments()) + " [" + e.getToolCallId()
                        + "]: agentlog approve|deny SESSION " + e.getToolCallId();
            case HumanAsked e -> quote(e.getQuestion()) + " [" + e.getToolCallId() + "]: agentlog answer SESSION TEXT";
            case HumanAnswered e -> quote(e.getAnswer()) + " [" + e.getToolCallId() + "]";
            case SleepStarted e -> "until " + e.getUntil() + " [" + e.getToolCallId() + "]";
            case ApprovalDecided e ->
                e.getTool() + " [" + e.getToolCallId() + "]"
                        + (e.getArguments() != null ? " with arguments " + abbreviate(e.getArguments()) : "")
                        + (e.getMessage() != null ? ": " + quote(e.getMessage()) : "");
            case SessionEnded e ->
                e.getStatus()
                        + (e.getOutput() != null ? ": " + quote(e.getOutput()) : "")
                        + (e.getError() != null ? ": " + e.getError() : "");
            case IndexedRecord other -> abbreviate(AvroJson.toJson(other));
            default -> String.valueOf(event);
        };
    }

    private static String responseSummary(ModelResponded e) {
        StringBuilder text = new StringBuilder();
        if (!e.getText().isBlank()) {
            text.append(": ").append(quote(e.getText()));
        }
        if (!e.getToolCalls().isEmpty()) {
            text.append(e.getText().isBlank() ? ": " : ", then ")
                    .append(
                            e.getToolCalls().size() == 1
                                    ? "1 tool call "
                                    : e.getToolCalls().size() + " tool calls ")
                    .append(e.getToolCalls().stream().map(ToolCall::getName).collect(Collectors.joining(", ")));
        }
        return text.toString();
    }

    static String quote(String text) {
        return "\"" + abbreviate(text) + "\"";
    }

    static String abbreviate(String text) {
        String flat = text == null ? "" : text.strip().replaceAll("\\s*\\R\\s*", " / ");
        return flat.length() <= MAX_TEXT ? flat : flat.substring(0, MAX_TEXT - 3) + "...";
    }
}
