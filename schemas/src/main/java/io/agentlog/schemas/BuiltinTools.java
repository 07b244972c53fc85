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
    public static final String EDIT_FILE = "edit_file";
    public static final String LIST_FILES = "list_files";
    public static final String GREP = "grep";
    public static final String BASH = "bash";
    public static final String RUN_PYTHON = "run_python";
    public static final String RUN_JAVASCRIPT = "run_javascript";
    public static final String HTTP_FETCH = "http_fetch";
    public static final String NOOP = "noop";
    public static final String ASK_HUMAN = "ask_human";
    public static final String SLEEP = "sleep";
    public static final String SPAWN_AGENT = "spawn_agent";

    private static final List<ToolSpec> ALL = List.of(
            engine(
                    READ_FILE,
                    "Read a text file from the session workspace. Returns its content; with offset and limit, only those"
                            + " lines.",
                    """
                    {"type":"object","properties":{"path":{"type":"string","description":"Path relative to the workspace root"},"offset":{"type":"integer","minimum":1,"description":"First line to return (1-based)"},"limit":{"type":"integer","minimum":1,"description":"Most lines to return"}},"required":["path"],"additionalProperties":false}"""),
            engine(WRITE_FILE, "Create or overwrite a text file in the session workspace.", """
                    {"type":"object","properties":{"path":{"type":"string","description":"Path relative to the workspace root"},"content":{"type":"string","description":"The full new content"}},"required":["path","content"],"additionalProperties":false}"""),
            engine(
                    EDIT_FILE,
                    "Replace an exact string in a workspace file. Fails when old_string is not found, or is found more"
                            + " than once and replace_all is not set: give more context to make it unique.",
                    """
                    {"type":"object","properties":{"path":{"type":"string","description":"Path relative to the workspace root"},"old_string":{"type":"string","description":"The exact text to replace"},"new_string":{"type":"string","description":"The replacement"},"replace_all":{"type":"boolean","description":"Replace every occurrence (default false)"}},"required":["path","old_string","new_string"],"additionalProperties":false}"""),
            engine(
                    LIST_FILES,
                    "List the files in the session workspace, one 'path<TAB>size' per line; a glob pattern such as"
                            + " '**/*.py' selects some.",
                    """
                    {"type":"object","properties":{"pattern":{"type":"string","description":"Glob over paths, e.g. src/**/*.java"},"prefix":{"type":"string","description":"Only paths starting with this"}},"additionalProperties":false}"""),
            engine(
                    GREP,
                    "Search the workspace files for a regular expression (Java syntax). Returns 'path:line:text' for each"
                            + " matching line.",
                    """
                    {"type":"object","properties":{"pattern":{"type":"string","description":"Regular expression"},"glob":{"type":"string","description":"Only files whose path matches this glob"},"ignore_case":{"type":"boolean"}},"required":["pattern"],"additionalProperties":false}"""),
            engine(
                    ASK_HUMAN,
                    "Ask a human a question and wait for the answer, which is this call's result. Use it when you need"
                            + " a decision or a fact only a person has; the session waits as long as it takes.",
                    """
                    {"type":"object","properties":{"question":{"type":"string","description":"The question, with what the human needs to answer it"}},"required":["question"],"additionalProperties":false}"""),
            engine(
                    SLEEP,
                    "Wait, then go on: for a number of seconds, or until a time (ISO-8601, e.g. 2026-12-01T09:00:00Z)."
                            + " The wait survives restarts; nothing runs meanwhile.",
                    """
                    {"type":"object","properties":{"seconds":{"type":"integer","minimum":1,"description":"How long to wait"},"until":{"type":"string","description":"When to go on, ISO-8601 with a zone"}},"additionalProperties":false}"""),
            spawn(),
            sandbox(
                    BASH,
                    "Run a bash command in a sandbox holding a copy of the session workspace as its working directory."
                            + " No network. Returns the exit code, stdout and stderr; files it creates or changes are"
                            + " saved to the workspace.",
                    """
                    {"type":"object","properties":{"command":{"type":"string","description":"The bash command or script"},"timeout_seconds":{"type":"integer","minimum":1,"description":"Wall-clock limit"}},"required":["command"],"additionalProperties":false}"""),
            sandbox(
                    RUN_PYTHON,
                    "Run Python 3 code in a sandbox holding a copy of the session workspace as its working directory."
                            + " No network. Returns the exit code, stdout and stderr; changed files are saved.",
                    """
                    {"type":"object","properties":{"code":{"type":"string","description":"Python 3 source"},"timeout_seconds":{"type":"integer","minimum":1}},"required":["code"],"additionalProperties":false}"""),
            sandbox(
                    RUN_JAVASCRIPT,
                    "Run JavaScript (ECMAScript, no Node APIs) in an isolated GraalJS sandbox. Returns the printed output"
                            + " and the value of the last expression.",
                    """
                    {"type":"object","properties":{"code":{"type":"string","description":"JavaScript source"},"timeout_seconds":{"type":"integer","minimum":1}},"required":["code"],"additionalProperties":false}"""),
            spec(
                    HTTP_FETCH,
                    Topics.TOOLS_POOL,
                    ToolSemantics.IDEMPOTENT,
                    "Fetch a URL with HTTP GET and return the status and body. Only hosts on the worker's allow-list can be reached.",
                    """
                    {"type":"object","properties":{"url":{"type":"string","description":"http or https URL"}},"required":["url"],"additionalProperties":false}"""),
            spec(
                    NOOP,
                    Topics.TOOLS_POOL,
                    ToolSemantics.IDEMPOTENT,
                    "Do nothing and return 'ok' (for tests and benchmarks).",
                    """
                    {"type":"object","properties":{},"additionalProperties":true}"""));

    private static final Map<String, ToolSpec> BY_NAME =
            ALL.stream().collect(Collectors.toUnmodifiableMap(ToolSpec::getName, Function.identity()));

    private BuiltinTools() {}

    /** A copy of the built-in spec of that name, if there is one. */
    public static Optional<ToolSpec> find(String name) {
        ToolSpec spec = BY_NAME.get(name);
        return spec == null
                ? Optional.empty()
                : Optional.of(ToolSpec.newBuilder(spec).build());
    }

    public static List<String> names() {
        return ALL.stream().map(ToolSpec::getName).toList();
    }

    private static ToolSpec engine(String name, String description, String schema) {
        return spec(name, Topics.ENGINE_POOL, ToolSemantics.IDEMPOTENT, description, schema);
    }

    /** Starts a child session; its end is the call's result (the engine's SubAgents). */
    private static ToolSpec spawn() {
        ToolSpec spec = engine(
                SPAWN_AGENT,
                "Start sub-agents: child sessions that run on their own. Give 'agent' and 'input' for one child,"
                        + " whose final answer is this call's result (an error if it fails), or 'tasks', a list of"
                        + " them, to run several in parallel: the result then gathers every child's answer in order"
                        + " once all have ended. The children's spending counts against this session's budgets.",
                """
                {"type":"object","properties":{"agent":{"type":"string","description":"The agent to run (one child)"},"input":{"type":"string","description":"The child's task (one child)"},"tasks":{"type":"array","description":"Several children, run in parallel","maxItems":16,"items":{"type":"object","properties":{"agent":{"type":"string"},"input":{"type":"string"}},"required":["agent","input"],"additionalProperties":false}}},"additionalProperties":false}""");
        spec.setTimeoutMs(3_600_000L);
        return spec;
    }

    /** Code runs on a copy of the workspace: the call carries the files and the result returns the changes. */
    private static ToolSpec sandbox(String name, String description, String schema) {
        ToolSpec spec = spec(name, Topics.SANDBOX_POOL, ToolSemantics.IDEMPOTENT, description, schema);
        spec.setWorkspace(true);
        spec.setTimeoutMs(120_000L);
        return spec;
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
