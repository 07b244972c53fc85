package io.agentlog.worker.internal;

import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.telemetry.GenAi;
import io.agentlog.telemetry.TraceHeaders;
import io.agentlog.telemetry.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.common.header.Headers;

/**
 * A worker's spans, one per delivery of a work item it runs (see docs/observability.md), following the GenAI semantic
 * conventions: a model call is {@code chat <model>} (kind CLIENT) with its provider, model, token usage and finish
 * reason; a tool call is {@code execute_tool <tool>} with the tool's name and call id. The parent is the engine step
 * that requested the item ({@code traceparent} on the work record), or the session's root span when the record carries
 * none, so the span is in its session's trace either way. Prompts, answers and tool arguments are never recorded.
 * Off ({@link Tracing#OFF}): the execution runs as it is, with no span.
 */
public final class WorkSpans {

    public static final WorkSpans OFF = new WorkSpans(Tracing.OFF);

    private final Tracing tracing;

    public WorkSpans(Tracing tracing) {
        this.tracing = tracing;
    }

    /** Runs {@code execution} of {@code request} (delivered with {@code headers}) inside its span. */
    Execution traced(
            WorkRequest request, String pool, Headers headers, Delivery delivery, Supplier<Execution> execution) {
        if (!tracing.enabled()) {
            return execution.get();
        }
        Span span = start(request, pool, headers, delivery);
        try (Scope ignored = span.makeCurrent()) {
            Execution done = execution.get();
            end(span, request, done);
            return done;
        } catch (RuntimeException | Error e) {
            span.setAttribute(GenAi.ERROR_TYPE, e.getClass().getName());
            span.setStatus(StatusCode.ERROR, e.toString());
            throw e;
        } finally {
            span.end();
        }
    }

    private Span start(WorkRequest request, String pool, Headers headers, Delivery delivery) {
        SpanBuilder builder = switch (request.getRequest()) {
            case ModelCall call ->
                tracing.tracer()
                        .spanBuilder(GenAi.CHAT + " " + call.getModel().getName())
                        .setSpanKind(SpanKind.CLIENT)
                        .setAttribute(GenAi.OPERATION_NAME, GenAi.CHAT)
                        .setAttribute(GenAi.PROVIDER_NAME, call.getModel().getProvider())
                        .setAttribute(GenAi.REQUEST_MODEL, call.getModel().getName());
            case ToolInvocation invocation ->
                tracing.tracer()
                        .spanBuilder(GenAi.EXECUTE_TOOL + " " + invocation.getTool())
                        .setSpanKind(SpanKind.INTERNAL)
                        .setAttribute(GenAi.OPERATION_NAME, GenAi.EXECUTE_TOOL)
                        .setAttribute(GenAi.TOOL_NAME, invocation.getTool())
                        .setAttribute(GenAi.TOOL_CALL_ID, invocation.getToolCallId())
                        .setAttribute(GenAi.TOOL_TYPE, "function");
            default -> tracing.tracer().spanBuilder("work " + request.getWorkId());
        };
        return builder.setParent(TraceHeaders.extract(headers, request.getSessionId()))
                .setAttribute(GenAi.CONVERSATION_ID, request.getSessionId())
                .setAttribute(GenAi.WORK_ID, request.getWorkId())
                .setAttribute(GenAi.POOL, pool)
                .setAttribute(GenAi.DELIVERY_COUNT, (long) delivery.count())
                .startSpan();
    }

    private static void end(Span span, WorkRequest request, Execution execution) {
        switch (execution) {
            case Execution.Answer answer -> result(span, request, answer.result());
            case Execution.Reject reject -> {
                result(span, request, reject.result());
                span.setAttribute(GenAi.WORK_OUTCOME, "REJECTED");
            }
            case Execution.Retry retry -> {
                span.setAttribute(GenAi.WORK_OUTCOME, "RETRY");
                span.setAttribute(GenAi.ERROR_TYPE, "retry");
                span.setStatus(StatusCode.ERROR, retry.reason());
            }
            case Execution.AlreadyAnswered already -> span.setAttribute(GenAi.WORK_OUTCOME, "ALREADY_ANSWERED");
            case Execution.ClaimedEarlier claimed -> span.setAttribute(GenAi.WORK_OUTCOME, "CLAIMED_EARLIER");
        }
    }

    private static void result(Span span, WorkRequest request, WorkResult result) {
        span.setAttribute(GenAi.WORK_OUTCOME, result.getOutcome().name());
        if (result.getOutcome() != WorkOutcome.OK) {
            span.setAttribute(GenAi.ERROR_TYPE, result.getOutcome().name());
            span.setStatus(
                    StatusCode.ERROR,
                    result.getError() == null ? result.getOutcome().name() : result.getError());
        }
        if (request.getRequest() instanceof ModelCall) {
            Usage usage = result.getUsage();
            if (usage != null) {
                span.setAttribute(GenAi.INPUT_TOKENS, usage.getInputTokens());
                span.setAttribute(GenAi.OUTPUT_TOKENS, usage.getOutputTokens());
                span.setAttribute(GenAi.CACHED_INPUT_TOKENS, usage.getCachedInputTokens());
                span.setAttribute(GenAi.COST_MICROS, usage.getCostMicros());
            }
            if (result.getResult() instanceof ModelReply reply
                    && !reply.getFinishReason().isEmpty()) {
                span.setAttribute(GenAi.FINISH_REASONS, List.of(reply.getFinishReason()));
            }
        }
    }
}
