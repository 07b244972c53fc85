package io.agentlog.worker.tool;

import io.agentlog.schemas.Topics;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.sandbox.BubblewrapSandbox;
import io.agentlog.worker.sandbox.GraalJsSandbox;
import io.agentlog.worker.sandbox.SandboxTool;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/** The tools a worker runs, by name. Immutable; {@link #close()} closes the tools that hold resources. */
public final class ToolRegistry implements AutoCloseable {

    private final Map<String, Tool> byName;

    private ToolRegistry(Map<String, Tool> byName) {
        this.byName = byName;
    }

    public static ToolRegistry of(List<Tool> tools) {
        Map<String, Tool> byName = new LinkedHashMap<>();
        for (Tool tool : tools) {
            if (byName.putIfAbsent(tool.name(), tool) != null) {
                throw new IllegalArgumentException("two tools are named '" + tool.name() + "'");
            }
        }
        return new ToolRegistry(Map.copyOf(byName));
    }

    public static ToolRegistry of(Tool... tools) {
        return of(List.of(tools));
    }

    /**
     * The built-in worker-side tools: {@code http_fetch} (with the configured allow-list) and {@code noop} (pool
     * {@code tools}), and {@code bash}, {@code run_python} (bubblewrap) and {@code run_javascript} (GraalJS) of pool
     * {@code sandbox}, with the configured sandbox limits. When the worker serves the sandbox pool, the bubblewrap
     * sandbox checks itself at once (in the background), so the log at start says whether it can run code and how
     * memory is limited; otherwise the sandboxes start at their first use.
     */
    public static ToolRegistry builtins(WorkerConfig config) {
        BubblewrapSandbox bubblewrap = BubblewrapSandbox.create(config.sandboxLimits());
        if (config.pools().contains(Topics.SANDBOX_POOL)) {
            Thread.ofPlatform().daemon().name("agentlog-sandbox-check").start(bubblewrap::unavailableReason);
        }
        GraalJsSandbox graalJs = GraalJsSandbox.create(config.sandboxLimits(), bubblewrap);
        return of(
                new HttpFetchTool(config.httpAllowList()),
                new NoopTool(),
                SandboxTool.bash(bubblewrap),
                SandboxTool.python(bubblewrap),
                SandboxTool.javascript(graalJs));
    }

    /** A registry with these tools added; names must not clash. */
    public ToolRegistry with(Tool... tools) {
        List<Tool> all = new java.util.ArrayList<>(byName.values());
        all.addAll(List.of(tools));
        return of(all);
    }

    public Optional<Tool> find(String name) {
        return Optional.ofNullable(name == null ? null : byName.get(name));
    }

    /** Closes every tool that is {@link AutoCloseable} (e.g. the sandboxes' child processes); failures are logged. */
    @Override
    public void close() {
        for (Tool tool : byName.values()) {
            if (tool instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LoggerFactory.getLogger(ToolRegistry.class).warn("Closing tool {} failed", tool.name(), e);
                }
            }
        }
    }

    /** Tool names, sorted, for error messages. */
    public List<String> names() {
        return byName.keySet().stream().sorted().toList();
    }
}
