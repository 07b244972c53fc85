package io.agentlog.worker.tool;

import io.agentlog.schemas.avro.ToolOutput;
import java.util.List;

/** Shorthands for tool outputs. */
public final class ToolOutputs {

    private ToolOutputs() {}

    public static ToolOutput ok(String content) {
        return ToolOutput.newBuilder()
                .setContent(content)
                .setIsError(false)
                .setFileChanges(List.of())
                .build();
    }

    /** An error the model sees as the tool's result; say what was wrong and how to call the tool correctly. */
    public static ToolOutput error(String message) {
        return ToolOutput.newBuilder()
                .setContent(message)
                .setIsError(true)
                .setFileChanges(List.of())
                .build();
    }
}
