package io.agentlog.schemas;

import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.ToolSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The built-in tools: names, descriptions and JSON Schemas as the model sees them, and where each
 * runs. An agent definition names them; registration resolves each name to its spec here, so a
 * session pins the exact spec it started with.
 */
public final class BuiltinTools {

    public static final String READ_FILE = "read_file";
    public static final String WRITE_FILE = "write_file";
    public static final String LIST_FILES = "list_files";
    public static final String HTTP_FETCH = "http_fetch";
    public static final String NOOP = "noop";

    private static final List<ToolSpec> ALL = List.of(
            spec(READ_FILE, Topics.ENGINE_POOL, ToolSemantics.IDEMPOTENT,
                    "Read a text file from the session workspace. Returns its content.",
                    """
                    {"type":"object","properties":{"path":{"type":"string","description":"Path relative to the workspace root"}},"required":["path"],"additionalProperties":false}"""),
            spec(WRITE_FILE, Topics.ENGINE_POOL, ToolSemantics.IDEMPOTENT,
                    "Create or overwrite a text file in the session workspace.",
                    """
                    {"type":"object","properties":{"path":{"type":"string","description":"Path relative to the workspace root"},"content":{"type":"string","description":"The full new content"}},"required":["path","content"],"additionalProperties":false}"""),
            spec(LIST_FILES, Topics.ENGINE_POOL, ToolSemantics.IDEMPOTENT,
                    "List the files in the session workspace, one path and size per line.",
                    """
                    {"type":"object","properties":{"prefix":{"type":"string","description":"Only paths starting with this"}},"additionalProperties":false}"""),
            spec(HTTP_FETCH, Topics.TOOLS_POOL, ToolSemantics.IDEMPOTENT,
                    "Fetch a URL with HTTP GET and return the status and body. Only hosts on the worker's allow-list can be reached.",
                    """
                    {"type":"object","properties":{"url":{"type":"string","description":"http or https URL"}},"required":["url"],"additionalProperties":false}"""),
            spec(NOOP, Topics.TOOLS_POOL, ToolSemantics.IDEMPOTENT,
                    "Do nothing and return 'ok' (for tests and benchmarks).",
                    """
                    {"type":"object","properties":{},"additionalProperties":true}"""));

    private static final Map<String, ToolSpec> BY_NAME =
            ALL.stream().collect(Collectors.toUnmodifiableMap(ToolSpec::getName, Function.identity()));

    private BuiltinTools() {}

    /** A copy of the built-in spec of that name, if there is one. */
    public static Optional<ToolSpec> find(String name) {
        ToolSpec spec = BY_NAME.get(name);
        return spec == null ? Optional.empty() : Optional.of(ToolSpec.newBuilder(spec).build());
    }

    public static List<String> names() {
        return ALL.stream().map(ToolSpec::getName).toList();
    }

    private static ToolSpec spec(String name, String pool, ToolSemantics semantics, String description, String schema) {
        return ToolSpec.newBuilder()
                .setName(name)
                .setDescription(description)
                .setParameters(schema.strip())
                .setPool(pool)
                .setSemantics(semantics)
                .build();
    }
}
