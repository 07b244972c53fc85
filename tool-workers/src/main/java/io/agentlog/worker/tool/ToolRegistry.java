package io.agentlog.worker.tool;

import io.agentlog.worker.WorkerConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The tools a worker runs, by name. Immutable. */
public final class ToolRegistry {

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

    /** The built-in worker-side tools: {@code http_fetch} (with the configured allow-list) and {@code noop}. */
    public static ToolRegistry builtins(WorkerConfig config) {
        return of(new HttpFetchTool(config.httpAllowList()), new NoopTool());
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

    /** Tool names, sorted, for error messages. */
    public List<String> names() {
        return byName.keySet().stream().sorted().toList();
    }
}
