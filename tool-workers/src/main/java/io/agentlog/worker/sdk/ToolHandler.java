package io.agentlog.worker.sdk;

import io.agentlog.worker.RetryableWorkException;

/**
 * The code behind one custom tool. Called only with arguments that fit the tool's JSON Schema; calls run at once,
 * each on a virtual thread, so a handler is thread-safe.
 *
 * <p>What it may do:
 *
 * <ul>
 *   <li>return {@link ToolResult#ok(String)}: the model sees the text as the tool's result;
 *   <li>return {@link ToolResult#error(String)}: a mistake the model can fix (an unknown id, a refused request); the
 *       model sees the text as an error result and may call again;
 *   <li>throw {@link RetryableWorkException}: the call did not take effect and may be tried again (a timeout, an
 *       HTTP 503 from a system behind it); the worker releases it after a backoff, so it is delivered again, here or
 *       to another worker, until the delivery limit; an at-most-once tool's call is answered with an error instead;
 *   <li>throw anything else: the call is answered with an error naming the exception (logged at error), not retried.
 * </ul>
 *
 * <p>Pass {@link ToolCall#idempotencyKey()} to the systems the handler changes (e.g. an {@code Idempotency-Key}
 * header): a call of an idempotent tool can be delivered more than once ({@link ToolCall#deliveryCount()} above 1).
 */
@FunctionalInterface
public interface ToolHandler {

    ToolResult handle(ToolCall call) throws Exception;
}
