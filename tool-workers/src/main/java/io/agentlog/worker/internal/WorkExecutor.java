package io.agentlog.worker.internal;

import io.agentlog.schemas.ModelSpecRules;
import io.agentlog.schemas.Secrets;
import io.agentlog.schemas.StreamChunk;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkProgress;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.ClaimMarkers;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.model.ModelProvider;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.model.ModelResult;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one delivery of a work item and decides its answer: a model call goes to the provider its spec names, a tool
 * call to the tool of that name. Success is {@code OK}; anything terminal is outcome {@code ERROR} with a message
 * saying what failed (credentials redacted, see {@link Secrets}).
 *
 * <p>At-most-once tools. A delivery with a count above 1 is not run: the answer is {@code OUTCOME_UNKNOWN}. A first
 * delivery may still be a redelivery (Kafka 4.4.0 hands a record held when its share-partition leader died back as
 * delivery 1), so it first claims the call ({@link ResultLookup#claim}): a {@code DELAYED} marker
 * ({@link ClaimMarkers}, expected by now plus the tool's timeout) on the session's results partition, then a read of
 * that partition up to the marker. If another delivery's claim or a result of the call is before it, this delivery
 * does not run the tool and writes no result ({@link Execution.ClaimedEarlier}). If the claim cannot be made, the
 * tool is not run and the answer is {@code OUTCOME_UNKNOWN}.
 *
 * <p>Model calls. A spec that names a URL or a credential is refused before anything is sent
 * ({@link ModelSpecRules}). A transient failure (HTTP 429, 5xx, I/O) is tried again within the same delivery, after the
 * endpoint's {@code Retry-After} or a growing backoff ({@link RetryPolicy}), until the waits would pass the worker's
 * maximum retry wait; then the answer is {@code ERROR}. Before each wait, and before calling on a redelivery, the
 * session is told with a {@code DELAYED} result carrying a {@link WorkProgress} (when the worker expects to answer),
 * so the engine moves its deadline instead of failing a call that is still under way. On a delivery that may be a
 * redelivery the worker first looks for a result an earlier delivery committed ({@link ResultLookup#find}); if there
 * is one the item is acknowledged without calling the model again. A delivery may be a redelivery when its count is
 * above 1, or when the work partition's leader epoch is above the one the record was written in ({@link LeaderEpochs}):
 * a share-partition leader moves only with the partition's leadership, so every redelivery that comes back as
 * delivery 1 after a leader died (or moved) is one of those; a record written before an unrelated leader change and
 * first delivered after it costs one needless lookup.
 *
 * <p>Tool calls. A {@link RetryableWorkException} becomes an {@link Execution.Retry}: the item is released after a
 * backoff and delivered again.
 *
 * <p>Poison items: the last delivery the group allows is never run. It only comes after earlier deliveries crashed
 * their worker, lost their lock or failed transiently every time, and the broker would archive the record after it
 * without anyone answering, leaving the session waiting. So it is a {@link Execution.Reject}: an {@code ERROR} result
 * the session sees, and the record to the DLQ with the reason. A transient tool failure on the delivery before the
 * last gives up the same way, with the failure as the reason.
 *
 * <p>Thread-safe and blocking: it runs on the item's virtual thread.
 */
public final class WorkExecutor {

    /** Where {@code DELAYED} results go: the lane publishes them to {@code agentlog.work.results}. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = delayed -> {};

        void report(WorkResult delayed);

        /** A piece of a model's answer while it is written; best effort. */
        default void chunk(StreamChunk chunk) {}
    }

    /** Waits between a model call's attempts; {@code Thread::sleep} but for tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private static final Logger log = LoggerFactory.getLogger(WorkExecutor.class);

    private final String workerId;
    private final ModelProviders models;
    private final ToolRegistry tools;
    private final RetryPolicy policy;
    private final ResultLookup results;
    private final LeaderEpochs epochs;
    private final Clock clock;
    private final Sleeper sleeper;

    public WorkExecutor(
            String workerId,
            ModelProviders models,
            ToolRegistry tools,
            RetryPolicy policy,
            ResultLookup results,
            LeaderEpochs epochs,
            Clock clock,
            Sleeper sleeper) {
        this.workerId = workerId;
        this.models = models;
        this.tools = tools;
        this.policy = policy;
        this.results = results;
        this.epochs = epochs;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    public Execution execute(WorkRequest request, String pool, Delivery delivery, Progress progress) {
        long startNanos = System.nanoTime();
        int deliveryCount = delivery.count();
        Optional<String> redelivery = Optional.empty();
        Optional<WorkContext.ResultCheck> check = Optional.empty();
        if (request.getRequest() instanceof ModelCall) {
            redelivery = mayBeRedelivered(delivery);
            if (redelivery.isPresent()) {
                Optional<ResultLookup.Lookup> lookup = lookUpEarlierResult(request, redelivery.get());
                if (lookup.isPresent() && lookup.get().committed().isPresent()) {
                    WorkResult earlier = lookup.get().committed().get();
                    String reason = "work item " + request.getWorkId() + " of session " + request.getSessionId()
                            + " was answered (" + earlier.getOutcome() + ") by delivery " + earlier.getDeliveryCount()
                            + " on worker " + earlier.getWorkerId() + ", whose acknowledgement never took effect (its"
                            + " worker or its share-partition leader stopped); not calling the model again ("
                            + redelivery.get() + ")";
                    log.info("Delivery {}: {}", deliveryCount, reason);
                    return new Execution.AlreadyAnswered(reason);
                }
                check = lookup.map(ResultLookup.Lookup::checked);
            }
        }
        if (policy.isLastDelivery(deliveryCount)) {
            String reason = "work item " + request.getWorkId() + " of session " + request.getSessionId()
                    + " reached delivery " + deliveryCount + " of at most " + policy.maxDeliveries()
                    + " without an answer:"
                    + " earlier deliveries crashed or lost their worker, or kept failing, so it is not run again";
            log.warn("Rejecting poison work item {} to the DLQ: {}", request.getWorkId(), reason);
            return new Execution.Reject(result(request, Attempt.error(reason), deliveryCount, startNanos), reason);
        }
        if (request.getRequest() instanceof ToolInvocation invocation
                && invocation.getSemantics() == ToolSemantics.AT_MOST_ONCE
                && delivery.isFirst()
                && tools.find(invocation.getTool()).isPresent()) {
            Optional<Execution> notRun = claim(request, invocation, startNanos);
            if (notRun.isPresent()) {
                return notRun.get();
            }
        }
        Attempt attempt = switch (request.getRequest()) {
            case ModelCall call -> callModel(request, call, deliveryCount, redelivery, check, progress, startNanos);
            case ToolInvocation invocation -> runTool(request, invocation, pool, deliveryCount);
            default ->
                Attempt.error("work item " + request.getWorkId() + " carries an unknown request type "
                        + request.getRequest().getClass().getName());
        };
        if (attempt.retry().isPresent()) {
            if (policy.mayRelease(deliveryCount)) {
                return new Execution.Retry(
                        attempt.retry().get(), policy.backoff(deliveryCount).toMillis());
            }
            String reason = Secrets.redact(attempt.retry().get() + " (gave up: this was delivery " + deliveryCount
                    + " of at most " + policy.maxDeliveries() + ", and the last is not run)");
            return new Execution.Reject(result(request, Attempt.error(reason), deliveryCount, startNanos), reason);
        }
        return new Execution.Answer(result(request, attempt, deliveryCount, startNanos));
    }

    /**
     * Why this delivery may have been preceded by another, or empty: a count above 1, or a first delivery from a
     * partition whose leader changed since the record was written. When that cannot be told, it may.
     */
    private Optional<String> mayBeRedelivered(Delivery delivery) {
        if (!delivery.isFirst()) {
            return Optional.of("delivery " + delivery.count());
        }
        if (delivery.writtenInEpoch().isEmpty()) {
            return Optional.of("delivery 1 of a record without a leader epoch");
        }
        int written = delivery.writtenInEpoch().getAsInt();
        try {
            int current = epochs.current(delivery.partition(), delivery.deliveredAtNanos());
            if (current > written) {
                return Optional.of("delivery 1, but the leader of " + delivery.partition()
                        + " changed since the record was written (leader epoch " + written + ", now " + current
                        + "), so an earlier delivery may have run it");
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            log.warn(
                    "Cannot learn the leader epoch of {} ({}); looking for an earlier delivery's result",
                    delivery.partition(),
                    e.toString());
            return Optional.of("delivery 1, and whether the leader of " + delivery.partition()
                    + " changed since the record was written is unknown");
        }
    }

    private Optional<ResultLookup.Lookup> lookUpEarlierResult(WorkRequest request, String redelivery) {
        try {
            return Optional.of(results.find(request));
        } catch (RuntimeException e) {
            log.warn(
                    "Model call {} ({}): cannot check for a result of an earlier delivery ({}); calling the model",
                    request.getWorkId(),
                    redelivery,
                    e.toString());
            return Optional.empty();
        }
    }

    /**
     * Claims a first delivery of an at-most-once tool call; empty when this delivery won the claim and runs the tool.
     */
    private Optional<Execution> claim(WorkRequest request, ToolInvocation invocation, long startNanos) {
        WorkResult marker = claimMarker(request, invocation, startNanos);
        ResultLookup.Claim claim;
        try {
            claim = results.claim(request, marker);
        } catch (RuntimeException e) {
            log.warn(
                    "Not running at-most-once tool {} of work {}: cannot claim the call ({})",
                    invocation.getTool(),
                    request.getWorkId(),
                    e.toString());
            return Optional.of(new Execution.Answer(result(
                    request,
                    new Attempt(
                            WorkOutcome.OUTCOME_UNKNOWN,
                            null,
                            "tool " + invocation.getTool() + " is at-most-once and this worker could not claim the"
                                    + " call (" + e.getMessage() + "), so it was not run here; another delivery may"
                                    + " have run it, so whether it took effect is unknown (idempotency key "
                                    + invocation.getIdempotencyKey() + ")",
                            zeroUsage(),
                            Optional.empty()),
                    1,
                    startNanos)));
        }
        if (claim.earlier().isEmpty()) {
            return Optional.empty();
        }
        WorkResult earlier = claim.earlier().get();
        String reason = "at-most-once tool " + invocation.getTool() + " of work " + request.getWorkId()
                + " of session " + request.getSessionId() + " was claimed first by delivery "
                + earlier.getDeliveryCount() + " on worker " + earlier.getWorkerId() + " ("
                + (ClaimMarkers.isClaim(earlier) ? "its claim" : "its " + earlier.getOutcome() + " result")
                + " is before this delivery's at offset " + claim.marker().endOffset() + " of partition "
                + claim.marker().partition() + "); not running it again, the earlier delivery answers";
        log.info("Delivery 1: {}", reason);
        return Optional.of(new Execution.ClaimedEarlier(reason));
    }

    /** This delivery's claim: {@code DELAYED}, expected by now plus the tool's timeout. */
    private WorkResult claimMarker(WorkRequest request, ToolInvocation invocation, long startNanos) {
        Instant now = clock.instant();
        WorkProgress progress = WorkProgress.newBuilder()
                .setReason(ClaimMarkers.REASON_PREFIX + "worker " + workerId + " runs at-most-once tool "
                        + invocation.getTool() + " (delivery 1)")
                .setAttempt(1)
                .setRetryAt(now)
                .setExpectedBy(invocation.getTimeoutMs() > 0 ? now.plusMillis(invocation.getTimeoutMs()) : now)
                .build();
        return result(
                request,
                new Attempt(WorkOutcome.DELAYED, progress, null, zeroUsage(), Optional.empty()),
                1,
                startNanos);
    }

    private WorkResult result(WorkRequest request, Attempt attempt, int deliveryCount, long startNanos) {
        long durationMs = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        return WorkResult.newBuilder()
                .setWorkId(request.getWorkId())
                .setSessionId(request.getSessionId())
                .setOutcome(attempt.outcome())
                .setResult(attempt.result())
                .setError(attempt.error() == null ? null : Secrets.redact(attempt.error()))
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
                .setError(Secrets.redact(error))
                .build();
    }

    /** A {@code DELAYED} result: the worker is still on the item and expects to answer by {@code expectedBy}. */
    private WorkResult delayed(
            WorkRequest request, int deliveryCount, String reason, int nextAttempt, Instant retryAt, long startNanos) {
        WorkProgress progress = WorkProgress.newBuilder()
                .setReason(Secrets.redact(reason))
                .setAttempt(nextAttempt)
                .setRetryAt(retryAt)
                .setExpectedBy(retryAt.plus(policy.modelAttemptTimeout()))
                .build();
        return result(
                request,
                new Attempt(WorkOutcome.DELAYED, progress, null, zeroUsage(), Optional.empty()),
                deliveryCount,
                startNanos);
    }

    private Attempt callModel(
            WorkRequest request,
            ModelCall call,
            int deliveryCount,
            Optional<String> redelivery,
            Optional<WorkContext.ResultCheck> check,
            Progress progress,
            long startNanos) {
        String providerName = call.getModel().getProvider();
        Optional<ModelProvider> provider = models.find(providerName);
        if (provider.isEmpty()) {
            return Attempt.error("unknown model provider '" + providerName + "'; this worker has " + models.names());
        }
        List<String> refused = ModelSpecRules.problems(call.getModel());
        if (!refused.isEmpty()) {
            log.info("Refusing model call {}: {}", request.getWorkId(), refused);
            return Attempt.error(
                    "the agent definition's model was refused and no request was sent: " + String.join("; ", refused));
        }
        if (redelivery.isPresent()) {
            progress.report(delayed(
                    request,
                    deliveryCount,
                    redelivery.get() + ": an earlier delivery may have ended without an answer (its worker or its"
                            + " share-partition leader stopped), and "
                            + (check.isPresent()
                                    ? "no result of one was committed"
                                    : "whether one committed a result could not be checked")
                            + "; calling the model",
                    1,
                    clock.instant(),
                    startNanos));
        }
        Duration waited = Duration.ZERO;
        for (int attempt = 1; ; attempt++) {
            WorkContext context = new WorkContext(
                    request.getSessionId(),
                    request.getWorkId(),
                    request.getSessionId() + "/" + request.getWorkId(),
                    clock.instant().plus(policy.modelAttemptTimeout()),
                    workerId,
                    deliveryCount,
                    check);
            ChunkedTokens tokens = new ChunkedTokens(
                    request.getSessionId(),
                    request.getWorkId(),
                    workerId + "/" + deliveryCount + "/" + attempt,
                    progress::chunk,
                    clock);
            try {
                ModelResult result = provider.get().complete(call, context, tokens);
                tokens.flush();
                return new Attempt(WorkOutcome.OK, result.reply(), null, result.usage(), Optional.empty());
            } catch (RetryableWorkException e) {
                Duration wait = policy.modelWait(attempt, e.retryAfter());
                String after = e.retryAfter()
                        .map(d -> "Retry-After " + seconds(d) + (d.equals(wait) ? "" : ", waiting " + seconds(wait)))
                        .orElse("backing off " + seconds(wait));
                if (waited.plus(wait).compareTo(policy.modelMaxRetryWait()) > 0) {
                    log.info(
                            "Model call {} gives up after {} attempt(s): {}",
                            request.getWorkId(),
                            attempt,
                            e.getMessage());
                    return Attempt.error(e.getMessage() + " (" + after + "; gave up after " + attempt + " attempt(s):"
                            + " waiting " + seconds(wait) + " more would pass the worker's maximum retry wait of "
                            + seconds(policy.modelMaxRetryWait()) + ", AGENTLOG_MODEL_MAX_RETRY_WAIT_MS, having waited "
                            + seconds(waited) + ")");
                }
                Instant retryAt = clock.instant().plus(wait);
                String reason = e.getMessage() + "; " + after + ", attempt " + (attempt + 1) + " at " + retryAt;
                log.info("Model call {} failed transiently, trying again: {}", request.getWorkId(), reason);
                progress.report(delayed(request, deliveryCount, reason, attempt + 1, retryAt, startNanos));
                try {
                    sleeper.sleep(wait);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return Attempt.retry("interrupted while waiting to call the model again (the worker is stopping): "
                            + e.getMessage());
                }
                waited = waited.plus(wait);
            } catch (TerminalWorkException e) {
                log.info("Model call failed: {}", e.getMessage());
                return Attempt.error(e.getMessage());
            } catch (RuntimeException e) {
                log.error("Model provider '{}' failed unexpectedly", providerName, e);
                return Attempt.error("model provider '" + providerName + "' failed: " + e);
            }
        }
    }

    private static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0
                ? millis / 1000 + " s"
                : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
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
        WorkContext context = new WorkContext(
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
