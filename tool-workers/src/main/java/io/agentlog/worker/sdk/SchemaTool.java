package io.agentlog.worker.sdk;

import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolOutputs;
import java.util.Objects;

/**
 * A {@link ToolHandler} as the worker's {@link Tool}: the call's arguments are checked against the tool's JSON Schema
 * first, and a call whose arguments do not fit is answered with the validation messages (an error result the model
 * sees and can correct), without running the handler. Runtime exceptions of the handler go to the worker as they
 * are ({@code RetryableWorkException}: redeliver; others: an error result); a checked one is answered like a runtime
 * one, as a {@link TerminalWorkException} carrying it, except an interrupt (the worker is stopping), which is retryable.
 */
final class SchemaTool implements Tool {

    private final String name;
    private final ArgumentSchema schema;
    private final ToolHandler handler;

    SchemaTool(String name, ArgumentSchema schema, ToolHandler handler) {
        this.name = Objects.requireNonNull(name, "name");
        this.schema = Objects.requireNonNull(schema, "schema");
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ToolOutput run(ToolInvocation invocation, WorkContext context) {
        return switch (schema.check(invocation.getArguments())) {
            case ArgumentSchema.Check.Invalid invalid -> ToolOutputs.error(invalid.message());
            case ArgumentSchema.Check.Valid valid ->
                handle(new ToolCall(
                        name,
                        valid.arguments(),
                        context.sessionId(),
                        context.workId(),
                        context.idempotencyKey(),
                        context.deliveryCount(),
                        context.deadline(),
                        invocation.getSemantics()));
        };
    }

    private ToolOutput handle(ToolCall call) {
        ToolResult result;
        try {
            result = handler.handle(call);
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableWorkException("interrupted before it finished (the worker is stopping)", e);
        } catch (Exception e) {
            throw new TerminalWorkException(e.toString(), e);
        }
        if (result == null) {
            throw new TerminalWorkException("its handler returned null instead of a ToolResult");
        }
        return result.isError() ? ToolOutputs.error(result.text()) : ToolOutputs.ok(result.text());
    }
}
