package io.agentlog.engine.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.agentlog.schemas.BuiltinTools;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The workspace file tools, run inline in the engine: deterministic, and their effects are journal events of the
 * same step as the call. They run on the stream thread, so every one is bounded whatever the model sends: patterns
 * are matched by RE2/J (linear time, no backtracking), globs are translated to RE2/J, and the bytes grep reads, the
 * lines it shows and the entries a listing shows are capped. Argument mistakes come back to the model as error
 * results that say what to change.
 */
final class InlineTools {

    /** Most matching lines grep shows. */
    static final int MAX_GREP_LINES = 200;
    /** Longest line grep shows; a longer one is cut. */
    static final int MAX_SHOWN_LINE_CHARS = 500;
    /** Longest pattern or glob accepted. */
    static final int MAX_PATTERN_CHARS = 1000;
    /** Bytes one grep call reads at most (a workspace holds more only with a raised limit). */
    static final long MAX_GREP_BYTES = 16L * 1024 * 1024;
    /** Most entries a listing shows. */
    static final int MAX_LIST_ENTRIES = 1000;

    record Output(String content, boolean isError) {
        static Output ok(String content) {
            return new Output(content, false);
        }

        static Output error(String content) {
            return new Output(content, true);
        }
    }

    private final WorkspaceFiles workspace;

    InlineTools(WorkspaceFiles workspace) {
        this.workspace = workspace;
    }

    Output run(Step step, String tool, ObjectNode args) {
        try {
            return switch (tool) {
                case BuiltinTools.READ_FILE -> read(step, args);
                case BuiltinTools.WRITE_FILE -> write(step, text(args, "path"), text(args, "content"));
                case BuiltinTools.EDIT_FILE -> edit(step, args);
                case BuiltinTools.LIST_FILES -> list(step, args);
                case BuiltinTools.GREP -> grep(step, args);
                default -> Output.error("tool '" + tool + "' does not run inline in the engine");
            };
        } catch (WorkspaceException e) {
            return Output.error(tool + " failed: " + e.getMessage());
        }
    }

    private Output read(Step step, ObjectNode args) {
        String path = text(args, "path");
        Optional<byte[]> content = workspace.read(step.model(), path);
        if (content.isEmpty()) {
            return Output.error("read_file failed: no file '" + WorkspaceFiles.normalize(path)
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
        int to = limit == null ? lines.length : (int) Math.min(lines.length, from - 1L + limit);
        if (to < from) {
            throw new WorkspaceException("limit must be at least 1, but was " + limit);
        }
        return Output.ok(String.join("\n", Arrays.copyOfRange(lines, from - 1, to)));
    }

    private Output write(Step step, String path, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Optional<String> refused = workspace.write(step, path, bytes);
        return refused.map(reason -> Output.error("write_file failed: " + reason))
                .orElseGet(() -> Output.ok("wrote " + bytes.length + " bytes to " + WorkspaceFiles.normalize(path)));
    }

    private Output edit(Step step, ObjectNode args) {
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
        String clean = WorkspaceFiles.normalize(path);
        String text = workspace
                .read(step.model(), clean)
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
        String edited;
        if (all) {
            edited = text.replace(oldString, newString);
        } else {
            int at = text.indexOf(oldString);
            edited = text.substring(0, at) + newString + text.substring(at + oldString.length());
        }
        Optional<String> refused = workspace.write(step, clean, edited.getBytes(StandardCharsets.UTF_8));
        return refused.map(reason -> Output.error("edit_file failed: " + reason))
                .orElseGet(() -> Output.ok("replaced " + (all ? count : 1) + " occurrence"
                        + (all && count > 1 ? "s" : "") + " in " + clean));
    }

    private Output list(Step step, ObjectNode args) {
        String prefix = optionalText(args, "prefix");
        Predicate<String> glob = glob(optionalText(args, "pattern"));
        List<String> shown = new ArrayList<>();
        int total = 0;
        for (Map.Entry<String, byte[]> file : step.model().files().entrySet()) {
            String path = file.getKey();
            if ((prefix == null || path.startsWith(prefix)) && glob.test(path)) {
                total++;
                if (shown.size() < MAX_LIST_ENTRIES) {
                    shown.add(path + "\t" + file.getValue().length);
                }
            }
        }
        if (shown.isEmpty()) {
            return Output.ok("(no files match)");
        }
        String more = total > shown.size()
                ? "\n[" + (total - shown.size()) + " more files not shown; narrow the prefix or pattern]"
                : "";
        return Output.ok(shown.stream().collect(Collectors.joining("\n")) + more);
    }

    private Output grep(Step step, ObjectNode args) {
        String pattern = text(args, "pattern");
        if (pattern.length() > MAX_PATTERN_CHARS) {
            throw new WorkspaceException("the pattern is " + pattern.length() + " characters; at most "
                    + MAX_PATTERN_CHARS + " are allowed");
        }
        Pattern regex;
        try {
            regex = Pattern.compile(pattern, args.path("ignore_case").asBoolean(false) ? Pattern.CASE_INSENSITIVE : 0);
        } catch (PatternSyntaxException e) {
            throw new WorkspaceException("invalid regular expression '" + pattern + "': " + e.getDescription()
                    + " (RE2 syntax: no backreferences or lookaround)");
        }
        Predicate<String> glob = glob(optionalText(args, "glob"));
        List<String> hits = new ArrayList<>();
        int total = 0;
        long read = 0;
        boolean cut = false;
        Matcher matcher = regex.matcher("");
        for (Map.Entry<String, byte[]> file : step.model().files().entrySet()) {
            if (!glob.test(file.getKey())) {
                continue;
            }
            if (read + file.getValue().length > MAX_GREP_BYTES) {
                cut = true;
                break;
            }
            read += file.getValue().length;
            String[] lines = new String(file.getValue(), StandardCharsets.UTF_8).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (matcher.reset(lines[i]).find()) {
                    total++;
                    if (hits.size() < MAX_GREP_LINES) {
                        hits.add(file.getKey() + ":" + (i + 1) + ":" + shorten(lines[i]));
                    }
                }
            }
        }
        String note = cut ? "\n[stopped after " + read + " bytes; narrow the search with glob]" : "";
        if (hits.isEmpty()) {
            return Output.ok("(no matches)" + note);
        }
        String more = total > hits.size() ? "\n[" + (total - hits.size()) + " more matching lines not shown]" : "";
        return Output.ok(String.join("\n", hits) + more + note);
    }

    private static String shorten(String line) {
        return line.length() <= MAX_SHOWN_LINE_CHARS
                ? line
                : line.substring(0, MAX_SHOWN_LINE_CHARS) + "... [" + (line.length() - MAX_SHOWN_LINE_CHARS)
                        + " more characters]";
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    /**
     * A glob over workspace paths, matched in linear time: {@code *} and {@code ?} stay within a path segment,
     * {@code **} crosses segments (a leading {@code **}{@code /} also matches files at the root, as models expect),
     * {@code [abc]}, {@code [!abc]} and {@code {a,b}} as usual.
     */
    static Predicate<String> glob(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            return path -> true;
        }
        if (pattern.length() > MAX_PATTERN_CHARS) {
            throw new WorkspaceException(
                    "the glob is " + pattern.length() + " characters; at most " + MAX_PATTERN_CHARS + " are allowed");
        }
        Pattern regex;
        try {
            regex = Pattern.compile(globToRegex(pattern));
        } catch (PatternSyntaxException e) {
            throw new WorkspaceException("invalid glob '" + pattern + "': " + e.getDescription());
        }
        return path -> regex.matcher(path).matches();
    }

    static String globToRegex(String glob) {
        StringBuilder out = new StringBuilder();
        boolean inGroup = false;
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                        if (i + 2 < glob.length() && glob.charAt(i + 2) == '/') {
                            out.append("(?:.*/)?");
                            i += 3;
                        } else {
                            out.append(".*");
                            i += 2;
                        }
                        continue;
                    }
                    out.append("[^/]*");
                }
                case '?' -> out.append("[^/]");
                case '[' -> {
                    int end = glob.indexOf(']', i + 1);
                    if (end < 0) {
                        throw new WorkspaceException("invalid glob '" + glob + "': '[' without ']'");
                    }
                    String body = glob.substring(i + 1, end);
                    boolean negated = body.startsWith("!");
                    if (negated) {
                        body = body.substring(1);
                    }
                    if (body.isEmpty()) {
                        throw new WorkspaceException("invalid glob '" + glob + "': empty character class");
                    }
                    out.append('[').append(negated ? "^/" : "");
                    for (char k : body.toCharArray()) {
                        out.append(k == '\\' || k == '[' || k == ']' || k == '^' ? "\\" + k : String.valueOf(k));
                    }
                    out.append(']');
                    i = end;
                }
                case '{' -> {
                    if (inGroup) {
                        throw new WorkspaceException("invalid glob '" + glob + "': nested '{' is not supported");
                    }
                    inGroup = true;
                    out.append("(?:");
                }
                case '}' -> {
                    if (!inGroup) {
                        throw new WorkspaceException("invalid glob '" + glob + "': '}' without '{'");
                    }
                    inGroup = false;
                    out.append(')');
                }
                case ',' -> out.append(inGroup ? "|" : ",");
                default -> out.append(Pattern.quote(String.valueOf(c)));
            }
            i++;
        }
        if (inGroup) {
            throw new WorkspaceException("invalid glob '" + glob + "': '{' without '}'");
        }
        return out.toString();
    }

    static String text(ObjectNode args, String field) {
        String value = optionalText(args, field);
        if (value == null) {
            throw new WorkspaceException("argument '" + field + "' is required");
        }
        return value;
    }

    static String optionalText(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new WorkspaceException("argument '" + field + "' must be a string, but was " + abbreviate(value));
        }
        return value.textValue();
    }

    private static Integer optionalInt(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new WorkspaceException(
                    "argument '" + field + "' must be a whole number, but was " + abbreviate(value));
        }
        return value.intValue();
    }

    private static String abbreviate(JsonNode value) {
        String text = value.toString();
        return text.length() <= 100 ? text : text.substring(0, 100) + "...";
    }
}
