package io.agentlog.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ToolCall;
import java.util.List;

/**
 * The agent the {@code retention} benchmark runs: small, realistic work that leaves something in every store. One
 * model turn writes a file of {@code fileBytes} bytes to the workspace ({@code write_file}, run inline in the
 * engine) and calls {@code noop} (a tools worker), then a second turn answers with a text. So each session leaves a
 * state record, its conversation in the history store (the input, the tool-calling turn, two tool results and the
 * answer), a workspace file and, once it ended, a retention timer.
 */
public final class RetentionAgent {

    public static final String NAME = "bench-retention";
    public static final String FILE_PATH = "notes.md";
    public static final String FINAL_TEXT = "written";

    public static final int DEFAULT_FILE_BYTES = 1024;

    /**
     * The largest file the script may write: the script travels in the definition, which must fit a record of the
     * agents topic (the broker's default 1 MB).
     */
    public static final int MAX_FILE_BYTES = 256 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private RetentionAgent() {}

    /**
     * The definition {@code NAME@version}.
     *
     * @param fileBytes size of the file each session writes, 1 to {@link #MAX_FILE_BYTES}
     */
    public static AgentDefinition definition(int version, int fileBytes) {
        requireFileBytes(fileBytes);
        ObjectNode write = JSON.createObjectNode().put("path", FILE_PATH).put("content", content(fileBytes));
        return ScriptedAgent.define(
                NAME,
                version,
                "agentlog bench: write a " + fileBytes + "-byte file and call noop, then answer",
                List.of(BuiltinTools.WRITE_FILE, BuiltinTools.NOOP),
                List.of(
                        ScriptedAgent.calling(List.of(
                                ToolCall.newBuilder()
                                        .setId("call_0_0")
                                        .setName(BuiltinTools.WRITE_FILE)
                                        .setArguments(write.toString())
                                        .build(),
                                ToolCall.newBuilder()
                                        .setId("call_0_1")
                                        .setName(BuiltinTools.NOOP)
                                        .setArguments("{}")
                                        .build())),
                        ScriptedAgent.answering(FINAL_TEXT)));
    }

    /** Lines of plain ASCII text, exactly {@code bytes} long (one byte per character in UTF-8 too). */
    static String content(int bytes) {
        StringBuilder text = new StringBuilder(bytes);
        for (int line = 0; text.length() < bytes; line++) {
            text.append("line ").append(line).append(": agentlog retention benchmark notes\n");
        }
        text.setLength(bytes);
        return text.toString();
    }

    static int requireFileBytes(int fileBytes) {
        if (fileBytes < 1 || fileBytes > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(
                    "file bytes must be between 1 and " + MAX_FILE_BYTES + ", but was " + fileBytes);
        }
        return fileBytes;
    }
}
