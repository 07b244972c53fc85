package io.agentlog.worker.tool;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.WorkContext;

/** Does nothing and answers {@code ok}: for tests and benchmarks. Any arguments are accepted. */
public final class NoopTool implements Tool {

    @Override
    public String name() {
        return BuiltinTools.NOOP;
    }

    @Override
    public ToolOutput run(ToolInvocation invocation, WorkContext context) {
        return ToolOutputs.ok("ok");
    }
}
