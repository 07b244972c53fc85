package io.agentlog.worker.sandbox;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.tool.InvalidToolArgumentsException;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolArguments;
import io.agentlog.worker.tool.ToolOutputs;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The code-running built-in tools of the {@code sandbox} pool: {@code bash} ({@code command}), {@code run_python} and
 * {@code run_javascript} ({@code code}), each with an optional {@code timeout_seconds}. The call's workspace files are
 * the code's working directory; the files it creates, changes or deletes come back in
 * {@link ToolOutput#getFileChanges()}. A failure of the code (non-zero exit, a limit hit) is an output with
 * {@code isError}, never an exception; so is an unavailable sandbox, and then nothing runs.
 */
public final class SandboxTool implements Tool, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SandboxTool.class);

    private final String name;
    private final String codeArgument;
    private final Language language;
    private final CodeSandbox sandbox;

    private SandboxTool(String name, String codeArgument, Language language, CodeSandbox sandbox) {
        this.name = name;
        this.codeArgument = codeArgument;
        this.language = language;
        this.sandbox = Objects.requireNonNull(sandbox, "sandbox");
    }

    public static SandboxTool bash(CodeSandbox sandbox) {
        return new SandboxTool(BuiltinTools.BASH, "command", Language.BASH, sandbox);
    }

    public static SandboxTool python(CodeSandbox sandbox) {
        return new SandboxTool(BuiltinTools.RUN_PYTHON, "code", Language.PYTHON, sandbox);
    }

    public static SandboxTool javascript(CodeSandbox sandbox) {
        return new SandboxTool(BuiltinTools.RUN_JAVASCRIPT, "code", Language.JAVASCRIPT, sandbox);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ToolOutput run(ToolInvocation invocation, WorkContext context) {
        String code;
        Optional<Integer> timeoutSeconds;
        try {
            ToolArguments arguments = ToolArguments.parse(name, invocation.getArguments())
                    .allowOnly(Set.of(codeArgument, "timeout_seconds"));
            code = arguments.requireString(codeArgument);
            timeoutSeconds = arguments.optionalPositiveInt("timeout_seconds");
        } catch (InvalidToolArgumentsException e) {
            return ToolOutputs.error(e.getMessage());
        }
        Duration timeout = sandbox.limits().wallClock();
        if (timeoutSeconds.isPresent() && timeoutSeconds.get() < timeout.toSeconds()) {
            timeout = Duration.ofSeconds(timeoutSeconds.get());
        }
        Duration remaining = context.remaining();
        if (remaining.compareTo(timeout) < 0) {
            timeout = remaining;
        }
        if (timeout.toMillis() < 1) {
            return ToolOutputs.error(name + ": the call's deadline passed before the code started");
        }
        List<FileChange> files = invocation.getFiles() == null ? List.of() : invocation.getFiles();
        SandboxResult result;
        try {
            result = sandbox.run(language, code, files, timeout);
        } catch (SandboxUnavailableException e) {
            log.warn("{} of session {} not run: {}", name, context.sessionId(), e.getMessage());
            return ToolOutputs.error(name + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return ToolOutputs.error(name + ": " + e.getMessage());
        }
        log.debug(
                "{} of session {} ran in {} ms: exit {}, limit hit {}, memory limited by {}",
                name,
                context.sessionId(),
                result.durationMs(),
                result.exitCode(),
                result.limitHit().orElse("none"),
                result.memoryLimit().label());
        return ToolOutput.newBuilder()
                .setContent(describe(result, timeout))
                .setIsError(result.failed())
                .setFileChanges(result.fileChanges())
                .build();
    }

    /** The text the model sees: exit code, limit, the value (JavaScript), stdout, stderr, changed files. */
    static String describe(SandboxResult result, Duration timeout) {
        StringBuilder text = new StringBuilder();
        text.append("exit code: ")
                .append(result.exitCode() == -1 ? "none (stopped)" : result.exitCode())
                .append('\n');
        result.limitHit()
                .ifPresent(limit -> text.append("limit hit: ")
                        .append(limit)
                        .append(explain(limit, result, timeout))
                        .append('\n'));
        result.value()
                .ifPresent(value -> text.append("--- value ---\n").append(value).append('\n'));
        text.append("--- stdout ---\n").append(result.stdout());
        if (!result.stdout().isEmpty() && !result.stdout().endsWith("\n")) {
            text.append('\n');
        }
        text.append("--- stderr ---\n").append(result.stderr());
        if (!result.stderr().isEmpty() && !result.stderr().endsWith("\n")) {
            text.append('\n');
        }
        if (!result.fileChanges().isEmpty()) {
            text.append("--- files ---\n");
            for (FileChange change : result.fileChanges()) {
                text.append(change.getContent() == null ? "deleted " : "written ")
                        .append(change.getPath())
                        .append('\n');
            }
        }
        return text.toString();
    }

    private static String explain(String limit, SandboxResult result, Duration timeout) {
        return switch (limit) {
            case SandboxResult.WALL_CLOCK -> " (stopped after " + timeout.toMillis() + " ms)";
            case SandboxResult.OUTPUT -> " (output cut at " + result.stdout().length() + " characters)";
            case SandboxResult.WORKSPACE_SIZE -> " (the workspace grew too large; no file changes were kept)";
            default -> "";
        };
    }

    @Override
    public void close() {
        sandbox.close();
    }
}
