package io.agentlog.worker.tool;

import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;

/**
 * A tool a worker pool runs. Implementations are thread-safe (calls run at once, each on a virtual thread) and
 * honour {@link WorkContext#deadline()}.
 *
 * <p>Mistakes the model can fix (bad arguments, a refused URL, a failed fetch) are returned as an output with
 * {@code isError = true}, so the model sees them and can try again. Exceptions are for the worker:
 * {@link RetryableWorkException} when the call did not happen and may be delivered again, anything else
 * ({@link TerminalWorkException} for a clear message) answers the work item with outcome {@code ERROR}.
 */
public interface Tool {

    /** The name the model calls it by; unique within a worker. */
    String name();

    ToolOutput run(ToolInvocation invocation, WorkContext context);
}
