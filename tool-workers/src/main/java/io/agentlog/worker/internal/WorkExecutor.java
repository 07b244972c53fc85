package io.agentlog.worker.internal;

import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.model.ModelProvider;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.model.ModelResult;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolContext;
import io.agentlog.worker.tool.ToolRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one delivery of a work item and decides its answer: a model call goes to the provider its spec names, a tool
 * call to the tool of that name. Success is {@code OK}; a {@link RetryableWorkException} becomes a
 * {@link Execution.Retry}; anything else is outcome {@code ERROR} with a message saying what failed. An at-most-once
 * tool whose item is delivered again is not run: the answer is {@code OUTCOME_UNKNOWN}.
 *
 * <p>Poison items: the last delivery the group allows ({@code maxDeliveries}) is never run. It only comes after
 * earlier deliveries crashed their worker, lost their lock or failed transiently every time, and the broker would
 * archive the record after it without anyone answering, leaving the session waiting. So it is a
 * {@link Execution.Reject}: an {@code ERROR} result the session sees, and the record to the DLQ with the reason. A
 * transient failure on the delivery before the last gives up the same way, with the failure as the reason.
 *
 * <p>Thread-safe and blocking: it runs on the item's virtual thread.
 */
public final class WorkExecutor {

    private static final Logger log = LoggerFactory.getLogger(WorkExecutor.class);

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String workerId;
    private final ModelProviders models;
    private final ToolRegistry tools;
    private final int maxDeliveries;
    private final Duration retryBackoff;
    private final Clock clock;

    public WorkExecutor(
            String workerId,
            ModelProviders models,
            ToolRegistry tools,
            int maxDeliveries,
            Duration retryBackoff,
            Clock clock) {
        this.workerId = workerId;
        this.models = models;
        this.tools = tools;
        this.maxDeliveries = maxDeliveries;
        this.retryBackoff = retryBackoff;
        this.clock = clock;
    }

    public Execution execute(WorkRequest request, String pool, int deliveryCount) {
        long startNanos = System.nanoTime();
        if (deliveryCount > 1 && deliveryCount >= maxDeliveries) {
            String reason = "work item " + request.getWorkId() + " of session " + request.getSessionId()
                    + " reached delivery " + deliveryCount + " of at most " + maxDeliveries + " without an answer:"
                    + " earlier deliveries crashed or lost their worker, or kept failing, so it is not run again";
            log.warn("Rejecting poison work item {} to the DLQ: {}", request.getWorkId(), reason);
            return new Execution.Reject(result(request, Attempt.error(reason), deliveryCount, startNanos), reason);
        }
        Attempt attempt = switch (request.getRequest()) {
            case ModelCall call -> callModel(call);
            case ToolInvocation invocation -> runTool(request, invocation, pool, deliveryCount);
            default ->
                Attempt.error("work item " + request.getWorkId() + " carries an unknown request type "
                        + request.getRequest().getClass().getName());
        };
        if (attempt.retry().isPresent()) {
            if (deliveryCount + 1 < maxDeliveries) {
                return new Execution.Retry(attempt.retry().get(), backoffMs(deliveryCount));
            }
            String reason = attempt.retry().get() + " (gave up: this was delivery " + deliveryCount + " of at most "
                    + maxDeliveries + ", and the last is not run)";
            return new Execution.Reject(result(request, Attempt.error(reason), deliveryCount, startNanos), reason);
        }
        return new Execution.Answer(result(request, attempt, deliveryCount, startNanos));
    }

    private WorkResult result(WorkRequest request, Attempt attempt, int deliveryCount, long startNanos) {
        long durationMs = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        return WorkResult.newBuilder()
                .setWorkId(request.getWorkId())
                .setSessionId(request.getSessionId())
                .setOutcome(attempt.outcome())
                .setResult(attempt.result())
                .setError(attempt.error())
                .setUsage(attempt.usage())
                .setWorkerId(workerId)
                .setDeliveryCount(deliveryCount)
                .setDurationMs(durationMs)
                .setCompletedAt(clock.instant())
                .build();
    }

    /** A small error result for a work item whose real result could not be produced (e.g. too large). */
    public WorkResult errorResult(WorkResult failed, String error) {
        return WorkResult.newBuilder(failed)
                .setOutcome(WorkOutcome.ERROR)
                .setResult(null)
                .setError(error)
                .build();
    }

    private Attempt callModel(ModelCall call) {
        String providerName = call.getModel().getProvider();
        Optional<ModelProvider> provider = models.find(providerName);
        if (provider.isEmpty()) {
            return Attempt.error("unknown model provider '" + providerName + "'; this worker has " + models.names());
        }
        try {
            ModelResult result = provider.get().complete(call);
            return new Attempt(WorkOutcome.OK, result.reply(), null, result.usage(), Optional.empty());
        } catch (RetryableWorkException e) {
            log.info("Model call failed transiently: {}", e.getMessage());
            return Attempt.retry(e.getMessage());
        } catch (TerminalWorkException e) {
            log.info("Model call failed: {}", e.getMessage());
            return Attempt.error(e.getMessage());
        } catch (RuntimeException e) {
            log.error("Model provider '{}' failed unexpectedly", providerName, e);
            return Attempt.error("model provider '" + providerName + "' failed: " + e);
        }
    }

    private Attempt runTool(WorkRequest request, ToolInvocation invocation, String pool, int deliveryCount) {
        Optional<Tool> tool = tools.find(invocation.getTool());
        if (tool.isEmpty()) {
            return Attempt.error("unknown tool " + invocation.getTool() + " in pool " + pool + " (this worker runs "
                    + tools.names() + ")");
        }
        boolean atMostOnce = invocation.getSemantics() == ToolSemantics.AT_MOST_ONCE;
        if (atMostOnce && deliveryCount > 1) {
            log.warn(
                    "Not running at-most-once tool {} again: delivery {} of work {}",
                    invocation.getTool(),
                    deliveryCount,
                    request.getWorkId());
            return new Attempt(
                    WorkOutcome.OUTCOME_UNKNOWN,
                    null,
                    "tool " + invocation.getTool() + " is at-most-once and this is delivery " + deliveryCount
                            + " of its call: an earlier delivery may have run it before its worker stopped, so it was"
                            + " not run again; whether it took effect is unknown (idempotency key "
                            + invocation.getIdempotencyKey() + ")",
                    zeroUsage(),
                    Optional.empty());
        }
        Instant now = clock.instant();
        long timeoutMs = invocation.getTimeoutMs() > 0 ? invocation.getTimeoutMs() : Long.MAX_VALUE / 4;
        ToolContext context = new ToolContext(
                request.getSessionId(),
                request.getWorkId(),
                invocation.getIdempotencyKey(),
                now.plusMillis(timeoutMs),
                workerId,
                deliveryCount);
        try {
            ToolOutput output = tool.get().run(invocation, context);
            return new Attempt(WorkOutcome.OK, output, null, zeroUsage(), Optional.empty());
        } catch (RetryableWorkException e) {
            if (atMostOnce) {
                return Attempt.error("tool " + invocation.getTool() + " failed transiently and is at-most-once, so it"
                        + " is not retried: " + e.getMessage());
            }
            log.info("Tool {} failed transiently: {}", invocation.getTool(), e.getMessage());
            return Attempt.retry("tool " + invocation.getTool() + " failed transiently: " + e.getMessage());
        } catch (TerminalWorkException e) {
            return Attempt.error("tool " + invocation.getTool() + " failed: " + e.getMessage());
        } catch (RuntimeException e) {
            log.error("Tool {} failed unexpectedly", invocation.getTool(), e);
            return Attempt.error("tool " + invocation.getTool() + " failed: " + e);
        }
    }

    private long backoffMs(int deliveryCount) {
        long factor = 1L << Math.min(Math.max(deliveryCount - 1, 0), 10);
        return Math.min(retryBackoff.toMillis() * factor, MAX_BACKOFF.toMillis());
    }

    private static Usage zeroUsage() {
        return Usage.newBuilder()
                .setInputTokens(0)
                .setOutputTokens(0)
                .setCostMicros(0)
                .build();
    }

    private record Attempt(WorkOutcome outcome, Object result, String error, Usage usage, Optional<String> retry) {

        static Attempt error(String message) {
            return new Attempt(WorkOutcome.ERROR, null, message, zeroUsage(), Optional.empty());
        }

        static Attempt retry(String reason) {
            return new Attempt(WorkOutcome.ERROR, null, reason, zeroUsage(), Optional.of(reason));
        }
    }
}
