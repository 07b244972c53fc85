package io.agentlog.engine.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.SessionState;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * The workspace file tools, run inline in the engine: deterministic, fast, and their effects are
 * journal events in the same transaction as the session's state. Argument mistakes come back to
 * the model as error results that say what to change.
 */
final class InlineTools {

    /** Most matching lines grep returns. */
    static final int MAX_GREP_LINES = 200;

    record Output(String content, boolean isError) {
        static Output ok(String content) {
            return new Output(content, false);
        }

        static Output error(String content) {
            return new Output(content, true);
        }
    }

    private InlineTools() {}

    static Output run(SessionRuntime runtime, SessionState state, String tool, ObjectNode args) {
        try {
            return switch (tool) {
                case BuiltinTools.READ_FILE -> read(runtime, state, args);
                case BuiltinTools.WRITE_FILE -> write(runtime, state, text(args, "path"), text(args, "content"));
                case BuiltinTools.EDIT_FILE -> edit(runtime, state, args);
                case BuiltinTools.LIST_FILES -> list(runtime, state, args);
                case BuiltinTools.GREP -> grep(runtime, state, args);
                default -> Output.error("tool '" + tool + "' does not run inline in the engine");
            };
        } catch (WorkspaceException e) {
            return Output.error(tool + " failed: " + e.getMessage());
        }
    }

    private static Output read(SessionRuntime runtime, SessionState state, ObjectNode args) {
        String path = text(args, "path");
        Optional<byte[]> content = runtime.workspace().read(state.getSessionId(), path);
        if (content.isEmpty()) {
            return Output.error("read_file failed: no file '" + Workspace.normalize(path)
                    + "' in the workspace (list_files shows what exists)");
        }
        String text = new String(content.get(), StandardCharsets.UTF_8);
        Integer offset = optionalInt(args, "offset");
        Integer limit = optionalInt(args, "limit");
        if (offset == null && limit == null) {
            return Output.ok(text);
        }
        String[] lines = text.split("\n", -1);
        int from = offset == null ? 1 : offset;
        if (from < 1 || from > lines.length) {
            throw new WorkspaceException("offset " + from + " is outside the file's " + lines.length + " lines");
        }
        int to = limit == null ? lines.length : Math.min(lines.length, from - 1 + limit);
        if (to < from) {
            throw new WorkspaceException("limit must be at least 1, but was " + limit);
        }
        return Output.ok(String.join("\n", java.util.Arrays.copyOfRange(lines, from - 1, to)));
    }

    private static Output write(SessionRuntime runtime, SessionState state, String path, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Optional<String> refused = runtime.workspace().write(runtime, state, path, bytes);
        return refused.map(reason -> Output.error("write_file failed: " + reason))
                .orElseGet(() -> Output.ok("wrote " + bytes.length + " bytes to " + Workspace.normalize(path)));
    }

    private static Output edit(SessionRuntime runtime, SessionState state, ObjectNode args) {
        String path = text(args, "path");
        String oldString = text(args, "old_string");
        String newString = text(args, "new_string");
        boolean all = args.path("replace_all").asBoolean(false);
        if (oldString.isEmpty()) {
            throw new WorkspaceException("old_string must not be empty; use write_file to create a file");
        }
        if (oldString.equals(newString)) {
            throw new WorkspaceException("old_string and new_string are the same; nothing would change");
        }
        String clean = Workspace.normalize(path);
        String text = runtime.workspace()
                .read(state.getSessionId(), clean)
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                .orElseThrow(() -> new WorkspaceException("no file '" + clean + "' in the workspace"));
        int count = occurrences(text, oldString);
        if (count == 0) {
            throw new WorkspaceException(
                    "old_string was not found in " + clean + "; it must match the file exactly, including whitespace");
        }
        if (count > 1 && !all) {
            throw new WorkspaceException("old_string occurs " + count + " times in " + clean
                    + "; add surrounding lines to make it unique, or set replace_all");
        }
        String edited = all
                ? text.replace(oldString, newString)
                : text.replaceFirst(Pattern.quote(oldString), Matcher.quoteReplacement(newString));
        Optional<String> refused =
                runtime.workspace().write(runtime, state, clean, edited.getBytes(StandardCharsets.UTF_8));
        return refused.map(reason -> Output.error("edit_file failed: " + reason))
                .orElseGet(() -> Output.ok("replaced " + (all ? count : 1) + " occurrence"
                        + (all && count > 1 ? "s" : "") + " in " + clean));
    }

    private static Output list(SessionRuntime runtime, SessionState state, ObjectNode args) {
        String prefix = optionalText(args, "prefix");
        Predicate<String> glob = glob(optionalText(args, "pattern"));
        var entries = runtime.workspace().list(state.getSessionId(), prefix).stream()
                .filter(e -> glob.test(e.path()))
                .toList();
        if (entries.isEmpty()) {
            return Output.ok("(no files match)");
        }
        return Output.ok(entries.stream().map(e -> e.path() + "\t" + e.size()).collect(Collectors.joining("\n")));
    }

    private static Output grep(SessionRuntime runtime, SessionState state, ObjectNode args) {
        String pattern = text(args, "pattern");
        Pattern regex;
        try {
            regex = Pattern.compile(pattern, args.path("ignore_case").asBoolean(false) ? Pattern.CASE_INSENSITIVE : 0);
        } catch (PatternSyntaxException e) {
            throw new WorkspaceException("invalid regular expression '" + pattern + "': " + e.getDescription());
        }
        Predicate<String> glob = glob(optionalText(args, "glob"));
        List<String> hits = new ArrayList<>();
        int total = 0;
        for (var file : runtime.workspace().snapshot(state.getSessionId())) {
            if (!glob.test(file.getPath())) {
                continue;
            }
            String text = StandardCharsets.UTF_8.decode(file.getContent()).toString();
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (regex.matcher(lines[i]).find()) {
                    total++;
                    if (hits.size() < MAX_GREP_LINES) {
                        hits.add(file.getPath() + ":" + (i + 1) + ":" + lines[i]);
                    }
                }
            }
        }
        if (hits.isEmpty()) {
            return Output.ok("(no matches)");
        }
        String more = total > hits.size() ? "\n[" + (total - hits.size()) + " more matching lines not shown]" : "";
        return Output.ok(String.join("\n", hits) + more);
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    /** A glob over workspace paths; a leading "**&#47;" also matches files at the root, as models expect. */
    static Predicate<String> glob(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            return path -> true;
        }
        try {
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            PathMatcher rootMatcher = pattern.startsWith("**/")
                    ? FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(3))
                    : matcher;
            return path -> matcher.matches(Path.of(path)) || rootMatcher.matches(Path.of(path));
        } catch (IllegalArgumentException e) {
            throw new WorkspaceException("invalid glob '" + pattern + "': " + e.getMessage());
        }
    }

    private static String text(ObjectNode args, String field) {
        String value = optionalText(args, field);
        if (value == null) {
            throw new WorkspaceException("argument '" + field + "' is required");
        }
        return value;
    }

    private static String optionalText(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new WorkspaceException("argument '" + field + "' must be a string, but was " + value);
        }
        return value.textValue();
    }

    private static Integer optionalInt(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new WorkspaceException("argument '" + field + "' must be a whole number, but was " + value);
        }
        return value.intValue();
    }
}
