package io.agentlog.engine.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.SessionState;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The workspace file tools, run inline in the engine: deterministic, fast, and their effects are
 * journal events in the same transaction as the session's state.
 */
final class InlineTools {

    record Output(String content, boolean isError) {
        static Output ok(String content) {
            return new Output(content, false);
        }

        static Output error(String content) {
            return new Output(content, true);
        }
    }

    private InlineTools() {}

    static boolean handles(String tool) {
        return tool.equals(BuiltinTools.READ_FILE) || tool.equals(BuiltinTools.WRITE_FILE)
                || tool.equals(BuiltinTools.LIST_FILES);
    }

    static Output run(SessionRuntime runtime, SessionState state, String tool, ObjectNode args) {
        try {
            return switch (tool) {
                case BuiltinTools.READ_FILE -> read(runtime, state, text(args, "path", true));
                case BuiltinTools.WRITE_FILE -> write(runtime, state, text(args, "path", true), text(args, "content", true));
                case BuiltinTools.LIST_FILES -> list(runtime, state, text(args, "prefix", false));
                default -> Output.error("tool '" + tool + "' does not run inline in the engine");
            };
        } catch (WorkspaceException e) {
            return Output.error(tool + " failed: " + e.getMessage());
        }
    }

    private static Output read(SessionRuntime runtime, SessionState state, String path) {
        Optional<byte[]> content = runtime.workspace().read(state.getSessionId(), path);
        return content.map(bytes -> Output.ok(new String(bytes, StandardCharsets.UTF_8)))
                .orElseGet(() -> Output.error("read_file failed: no file '" + Workspace.normalize(path)
                        + "' in the workspace (list_files shows what exists)"));
    }

    private static Output write(SessionRuntime runtime, SessionState state, String path, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Optional<String> refused = runtime.workspace().write(runtime, state, path, bytes);
        return refused.map(reason -> Output.error("write_file failed: " + reason))
                .orElseGet(() -> Output.ok("wrote " + bytes.length + " bytes to " + Workspace.normalize(path)));
    }

    private static Output list(SessionRuntime runtime, SessionState state, String prefix) {
        var entries = runtime.workspace().list(state.getSessionId(), prefix);
        if (entries.isEmpty()) {
            return Output.ok(prefix == null ? "(the workspace is empty)" : "(no files start with '" + prefix + "')");
        }
        return Output.ok(entries.stream().map(e -> e.path() + "\t" + e.size()).collect(Collectors.joining("\n")));
    }

    private static String text(ObjectNode args, String field, boolean required) {
        JsonNode value = args.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new WorkspaceException("argument '" + field + "' is required");
            }
            return null;
        }
        if (!value.isTextual()) {
            throw new WorkspaceException("argument '" + field + "' must be a string, but was " + value);
        }
        return value.textValue();
    }
}
