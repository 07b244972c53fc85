package io.agentlog.worker.sdk;

import java.util.Objects;

/**
 * What a custom tool answers: text the model sees as the tool's result, and whether it is an error the model should
 * fix (a wrong id, a refused request).
 */
public record ToolResult(String text, boolean isError) {

    public ToolResult {
        Objects.requireNonNull(text, "text");
    }

    /** The tool did its work; {@code text} is what the model sees. */
    public static ToolResult ok(String text) {
        return new ToolResult(text, false);
    }

    /** A mistake the model can fix: say what was wrong and how to call the tool correctly. */
    public static ToolResult error(String text) {
        return new ToolResult(text, true);
    }
}
