package io.agentlog.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkProgress;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.model.ModelProvider;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.model.ModelResult;
import io.agentlog.worker.model.ScriptedModelProvider;
import io.agentlog.worker.tool.NoopTool;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class WorkExecutorTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    private final AtomicInteger flakyRuns = new AtomicInteger();
    private final Tool flaky = new Tool() {
        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public ToolOutput run(ToolInvocation invocation, io.agentlog.worker.WorkContext context) {
            flakyRuns.incrementAndGet();
            throw new RetryableWorkException("the backend is briefly down");
        }
    };
    private final ModelProvider broken = new ModelProvider() {
        @Override
        public String name() {
            return "broken";
        }

        @Override
        public io.agentlog.worker.model.ModelResult complete(ModelCall call, WorkContext context) {
            throw new IllegalStateException("bug in provider");
        }
    };

    /** A model that fails as told, then answers; it records each context it was called with. */
    private final List<RuntimeException> failures = new ArrayList<>();

    private final List<WorkContext> modelCalls = new ArrayList<>();
    private final ModelProvider scriptedFailures = new ModelProvider() {
        @Override
        public String name() {
            return "flaky-model";
        }

        @Override
        public ModelResult complete(ModelCall call, WorkContext context) {
            modelCalls.add(context);
            if (!failures.isEmpty()) {
                throw failures.removeFirst();
            }
            return new ScriptedModelProvider().complete(call, context);
        }
    };

    private final List<Duration> sleeps = new ArrayList<>();
    private final List<WorkResult> delayed = new ArrayList<>();

    /** What the results partition answers; every question asked is recorded. */
    private final class FakeResults implements ResultLookup {
        java.util.function.Function<WorkRequest, Lookup> find =
                request -> new Lookup(new WorkContext.ResultCheck(0, 0), Optional.empty());
        java.util.function.Function<WorkResult, Claim> claim =
                marker -> new Claim(new WorkContext.ResultCheck(4, 99), Optional.empty());
        final List<WorkRequest> finds = new ArrayList<>();
        final List<WorkResult> claims = new ArrayList<>();

        @Override
        public Lookup find(WorkRequest request) {
            finds.add(request);
            return find.apply(request);
        }

        @Override
        public Claim claim(WorkRequest request, WorkResult marker) {
            claims.add(marker);
            return claim.apply(marker);
        }
    }

    private final FakeResults results = new FakeResults();
    /** The work partitions' leader epoch now; records are written in epoch 0 unless a test says otherwise. */
    private LeaderEpochs epochs = (partition, since) -> 0;

    /** A counting at-most-once tool. */
    private final AtomicInteger charges = new AtomicInteger();

    private final Tool charge = new Tool() {
        @Override
        public String name() {
            return "charge";
        }

        @Override
        public ToolOutput run(ToolInvocation invocation, WorkContext context) {
            charges.incrementAndGet();
            return io.agentlog.worker.tool.ToolOutputs.ok("charged");
        }
    };

    private static final Duration ATTEMPT_TIMEOUT = Duration.ofMinutes(5);

    private WorkExecutor executor(int maxDeliveries, Duration maxRetryWait) {
        return new WorkExecutor(
                "worker-1",
                ModelProviders.of(new ScriptedModelProvider(), broken, scriptedFailures),
                ToolRegistry.of(new NoopTool(), flaky, charge),
                new RetryPolicy(maxDeliveries, Duration.ofMillis(100), ATTEMPT_TIMEOUT, maxRetryWait),
                results,
                (partition, since) -> epochs.current(partition, since),
                Clock.fixed(NOW, ZoneOffset.UTC),
                sleeps::add);
    }

    private final WorkExecutor executor = executor(3, Duration.ofMinutes(15));

    private Execution execute(WorkRequest request, String pool, int deliveryCount) {
        return executor.execute(request, pool, delivery(pool, deliveryCount), delayed::add);
    }

    /** A delivery of a record written in leader epoch 0. */
    private static Delivery delivery(String pool, int deliveryCount) {
        return new Delivery(
                deliveryCount,
                new TopicPartition("agentlog.work." + pool, 3),
                java.util.OptionalInt.of(0),
                System.nanoTime());
    }

    static WorkRequest toolRequest(String tool, ToolSemantics semantics) {
        return WorkRequest.newBuilder()
                .setWorkId("w-1")
                .setSessionId("s-1")
                .setPool("tools")
                .setRequest(ToolInvocation.newBuilder()
                        .setToolCallId("call_0_0")
                        .setTool(tool)
                        .setSemantics(semantics)
                        .setIdempotencyKey("s-1/w-1")
                        .setTimeoutMs(30_000)
                        .build())
                .build();
    }

    static WorkRequest modelRequest(String provider, int turn) {
        return modelRequest(provider, turn, Map.of());
    }

    static WorkRequest modelRequest(String provider, int turn, Map<String, String> options) {
        return WorkRequest.newBuilder()
                .setWorkId("w-2")
                .setSessionId("s-1")
                .setPool("model")
                .setRequest(ModelCall.newBuilder()
                        .setModel(new ModelSpec(provider, "", null, null, options, "", null))
                        .setMessages(List.of(Message.newBuilder()
                                .setRole(Role.USER)
                                .setContent("hi")
                                .build()))
                        .setTurn(turn)
                        .setScript(List.of(
                                ScriptedTurn.newBuilder().setText("hello").build()))
                        .build())
                .build();
    }

    private static WorkResult answer(Execution execution) {
        assertThat(execution).isInstanceOf(Execution.Answer.class);
        return ((Execution.Answer) execution).result();
    }

    @Test
    void shouldAnswerOkWithEveryFieldFilledWhenTheToolSucceeds() {
        WorkResult result = answer(execute(toolRequest("noop", ToolSemantics.IDEMPOTENT), "tools", 1));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(result.getWorkId()).isEqualTo("w-1");
        assertThat(result.getSessionId()).isEqualTo("s-1");
        assertThat(((ToolOutput) result.getResult()).getContent()).isEqualTo("ok");
        assertThat(result.getError()).isNull();
        assertThat(result.getWorkerId()).isEqualTo("worker-1");
        assertThat(result.getDeliveryCount()).isEqualTo(1);
        assertThat(result.getDurationMs()).isNotNegative();
        assertThat(result.getCompletedAt()).isEqualTo(NOW);
        assertThat(result.getUsage().getInputTokens()).isZero();
    }

    @Test
    void shouldAnswerErrorNamingToolAndPoolWhenTheToolIsUnknown() {
        WorkResult result = answer(execute(toolRequest("rm_rf", ToolSemantics.IDEMPOTENT), "tools", 1));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(result.getError()).startsWith("unknown tool rm_rf in pool tools");
    }

    @Test
    void shouldAnswerOutcomeUnknownWithoutRunningWhenAnAtMostOnceToolIsDeliveredAgain() {
        WorkResult result = answer(execute(toolRequest("flaky", ToolSemantics.AT_MOST_ONCE), "tools", 2));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OUTCOME_UNKNOWN);
        assertThat(result.getError())
                .contains("at-most-once")
                .contains("delivery 2")
                .contains("s-1/w-1");
        assertThat(result.getDeliveryCount()).isEqualTo(2);
        assertThat(flakyRuns).hasValue(0);
    }

    @Test
    void shouldRunAnIdempotentToolAgainWhenItIsDeliveredAgain() {
        WorkResult result = answer(execute(toolRequest("noop", ToolSemantics.IDEMPOTENT), "tools", 2));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(result.getDeliveryCount()).isEqualTo(2);
    }

    @Test
    void shouldRetryWithGrowingBackoffWhenTheFailureIsTransient() {
        WorkExecutor fiveDeliveries = executor(5, Duration.ofMinutes(15));
        Execution first = fiveDeliveries.execute(
                toolRequest("flaky", ToolSemantics.IDEMPOTENT), "tools", delivery("tools", 1), delayed::add);
        Execution second = fiveDeliveries.execute(
                toolRequest("flaky", ToolSemantics.IDEMPOTENT), "tools", delivery("tools", 2), delayed::add);

        assertThat(first)
                .isEqualTo(new Execution.Retry("tool flaky failed transiently: the backend is briefly down", 100));
        assertThat(((Execution.Retry) second).backoffMs()).isEqualTo(200);
    }

    @Test
    void shouldRejectWithTheFailureWhenTheFailureIsTransientOnTheDeliveryBeforeTheLast() {
        // Given a tool that fails transiently, and 3 deliveries allowed
        // When its second delivery fails too
        Execution execution = execute(toolRequest("flaky", ToolSemantics.IDEMPOTENT), "tools", 2);

        // Then it gives up: an error result for the session and the reason for the DLQ, the last delivery unused
        assertThat(execution).isInstanceOf(Execution.Reject.class);
        Execution.Reject reject = (Execution.Reject) execution;
        assertThat(reject.result().getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(reject.result().getError())
                .contains("the backend is briefly down")
                .contains("delivery 2 of at most 3");
        assertThat(reject.reason()).isEqualTo(reject.result().getError());
        assertThat(flakyRuns).hasValue(1);
    }

    @Test
    void shouldRejectWithoutRunningWhenTheLastAllowedDeliveryComes() {
        // Given an item whose earlier deliveries never answered (their worker crashed on it)
        // When its last allowed delivery comes, for an idempotent tool, an at-most-once tool and a model call
        List<Execution> executions = List.of(
                execute(toolRequest("flaky", ToolSemantics.IDEMPOTENT), "tools", 3),
                execute(toolRequest("flaky", ToolSemantics.AT_MOST_ONCE), "tools", 4),
                execute(modelRequest("scripted", 0), "model", 3));

        // Then none runs; each is rejected with an error result that says why
        assertThat(flakyRuns).hasValue(0);
        assertThat(executions).allSatisfy(execution -> {
            assertThat(execution).isInstanceOf(Execution.Reject.class);
            Execution.Reject reject = (Execution.Reject) execution;
            assertThat(reject.result().getOutcome()).isEqualTo(WorkOutcome.ERROR);
            assertThat(reject.reason())
                    .contains("of session s-1")
                    .contains("of at most 3")
                    .contains("not run again");
            assertThat(reject.result().getError()).isEqualTo(reject.reason());
        });
    }

    @Test
    void shouldAnswerErrorInsteadOfRetryingWhenAnAtMostOnceToolFailsTransiently() {
        WorkResult result = answer(execute(toolRequest("flaky", ToolSemantics.AT_MOST_ONCE), "tools", 1));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(result.getError()).contains("at-most-once, so it is not retried");
    }

    @Test
    void shouldAnswerTheScriptedTurnWithUsageWhenTheModelCallSucceeds() {
        WorkResult result = answer(execute(modelRequest("scripted", 0), "model", 1));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ModelReply) result.getResult()).getText()).isEqualTo("hello");
        assertThat(result.getUsage().getInputTokens()).isEqualTo(1);
        assertThat(result.getUsage().getOutputTokens()).isEqualTo(2);
    }

    @Test
    void shouldAnswerErrorWhenTheScriptIsExhaustedOrTheProviderIsUnknownOrBroken() {
        assertThat(answer(execute(modelRequest("scripted", 1), "model", 1)).getError())
                .contains("the scripted model has no turn 1");
        assertThat(answer(execute(modelRequest("anthropic", 0), "model", 1)).getError())
                .isEqualTo("unknown model provider 'anthropic'; this worker has [broken, flaky-model, scripted]");
        assertThat(answer(execute(modelRequest("broken", 0), "model", 1)).getError())
                .contains("model provider 'broken' failed")
                .contains("bug in provider");
    }

    // ---- model calls: retries within the delivery, progress, redeliveries ----

    private static RetryableWorkException rateLimited(int seconds) {
        return new RetryableWorkException(
                "model 'm' at model endpoint 'x' answered HTTP 429: slow down", Duration.ofSeconds(seconds), null);
    }

    @Test
    void shouldRetryWithinTheDeliveryAndReportEachWaitWhenTheEndpointRateLimits() {
        // Given a model endpoint that answers 429 with Retry-After: 12 twice, then answers
        failures.add(rateLimited(12));
        failures.add(rateLimited(12));

        // When
        WorkResult result = answer(execute(modelRequest("flaky-model", 0), "model", 1));

        // Then the call succeeds on its third attempt, within this delivery
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ModelReply) result.getResult()).getText()).isEqualTo("hello");
        assertThat(result.getDeliveryCount()).isEqualTo(1);
        assertThat(modelCalls).hasSize(3);
        assertThat(sleeps).containsExactly(Duration.ofSeconds(12), Duration.ofSeconds(12));

        // and before each wait the session was told when to expect the answer
        assertThat(delayed).hasSize(2).allSatisfy(report -> {
            assertThat(report.getOutcome()).isEqualTo(WorkOutcome.DELAYED);
            assertThat(report.getWorkId()).isEqualTo("w-2");
            assertThat(report.getSessionId()).isEqualTo("s-1");
            WorkProgress progress = (WorkProgress) report.getResult();
            assertThat(progress.getRetryAt()).isEqualTo(NOW.plusSeconds(12));
            assertThat(progress.getExpectedBy()).isEqualTo(NOW.plusSeconds(12).plus(ATTEMPT_TIMEOUT));
            assertThat(progress.getReason()).contains("HTTP 429").contains("Retry-After 12 s");
        });
        assertThat(delayed.stream().map(r -> ((WorkProgress) r.getResult()).getAttempt()))
                .containsExactly(2, 3);
    }

    @Test
    void shouldBackOffExponentiallyWhenTheFailureSaysNotWhenToRetry() {
        // Given
        failures.add(new RetryableWorkException("cannot reach model 'm': connection refused"));
        failures.add(new RetryableWorkException("cannot reach model 'm': connection refused"));

        // When
        WorkResult result = answer(execute(modelRequest("flaky-model", 0), "model", 1));

        // Then
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(((WorkProgress) delayed.getFirst().getResult()).getReason()).contains("backing off 0.1 s");
    }

    @Test
    void shouldAnswerErrorWithoutWaitingWhenTheNextWaitWouldPassTheMaximumRetryWait() {
        // Given at most 20 s of waiting, and an endpoint that keeps rate limiting for 12 s
        WorkExecutor executor = executor(3, Duration.ofSeconds(20));
        for (int i = 0; i < 5; i++) {
            failures.add(rateLimited(12));
        }

        // When
        WorkResult result =
                answer(executor.execute(modelRequest("flaky-model", 0), "model", delivery("model", 1), delayed::add));

        // Then it waited once (12 s), not twice (24 s), and says why it gave up
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(result.getError())
                .contains("HTTP 429")
                .contains("gave up after 2 attempt(s)")
                .contains("maximum retry wait of 20 s, AGENTLOG_MODEL_MAX_RETRY_WAIT_MS");
        assertThat(sleeps).containsExactly(Duration.ofSeconds(12));
        assertThat(delayed).hasSize(1);
    }

    @Test
    void shouldAcknowledgeWithoutCallingTheModelWhenAnEarlierDeliveryCommittedAResult() {
        // Given a redelivered model call whose first delivery's result is on agentlog.work.results
        WorkResult earlier = WorkResult.newBuilder()
                .setWorkId("w-2")
                .setSessionId("s-1")
                .setOutcome(WorkOutcome.OK)
                .setUsage(Usage.newBuilder()
                        .setInputTokens(1)
                        .setOutputTokens(1)
                        .setCostMicros(0)
                        .build())
                .setWorkerId("worker-0")
                .setDeliveryCount(1)
                .build();
        results.find = request -> new ResultLookup.Lookup(new WorkContext.ResultCheck(3, 42), Optional.of(earlier));

        // When
        Execution execution = execute(modelRequest("flaky-model", 0), "model", 2);

        // Then
        assertThat(execution).isInstanceOf(Execution.AlreadyAnswered.class);
        assertThat(((Execution.AlreadyAnswered) execution).reason())
                .contains("answered (OK) by delivery 1 on worker worker-0");
        assertThat(modelCalls).isEmpty();
        assertThat(delayed).isEmpty();
    }

    @Test
    void shouldCallWithTheCheckAndReportTheRedeliveryWhenNoEarlierResultWasCommitted() {
        // Given a redelivered model call whose earlier delivery left no result up to offset 57 of partition 2
        results.find = request -> new ResultLookup.Lookup(new WorkContext.ResultCheck(2, 57), Optional.empty());

        // When
        WorkResult result = answer(execute(modelRequest("flaky-model", 0), "model", 2));

        // Then the model is called once, knowing the delivery and how far the worker looked
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(modelCalls).singleElement().satisfies(context -> {
            assertThat(context.deliveryCount()).isEqualTo(2);
            assertThat(context.sessionId()).isEqualTo("s-1");
            assertThat(context.workId()).isEqualTo("w-2");
            assertThat(context.workerId()).isEqualTo("worker-1");
            assertThat(context.resultCheck()).contains(new WorkContext.ResultCheck(2, 57));
        });
        // and the session was told first that an answer comes, within one attempt's time
        assertThat(delayed).singleElement().satisfies(report -> {
            WorkProgress progress = (WorkProgress) report.getResult();
            assertThat(progress.getExpectedBy()).isEqualTo(NOW.plus(ATTEMPT_TIMEOUT));
            assertThat(progress.getReason()).contains("delivery 2");
            assertThat(report.getDeliveryCount()).isEqualTo(2);
        });
    }

    @Test
    void shouldStillCallTheModelWhenTheLookupForAnEarlierResultFails() {
        // Given
        results.find = request -> {
            throw new org.apache.kafka.common.errors.TimeoutException("broker unreachable");
        };

        // When
        WorkResult result = answer(execute(modelRequest("flaky-model", 0), "model", 2));

        // Then
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(modelCalls)
                .singleElement()
                .satisfies(c -> assertThat(c.resultCheck()).isEmpty());
    }

    @Test
    void shouldRefuseWithoutCallingTheModelWhenTheSpecNamesAUrlOrACredential() {
        // When
        WorkResult result =
                answer(execute(modelRequest("flaky-model", 0, Map.of("baseUrl", "http://127.0.0.1:1/v1")), "model", 1));

        // Then
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(result.getError())
                .startsWith("the agent definition's model was refused and no request was sent:")
                .contains("model.options.baseUrl is refused");
        assertThat(modelCalls).isEmpty();
    }

    @Test
    void shouldRedactCredentialsWhenAnErrorTextCarriesThem() {
        // Given
        failures.add(new io.agentlog.worker.TerminalWorkException(
                "cannot use https://alice:hunter2@models.example/v1 with sk-planted-0123456789abcdef"));

        // When
        WorkResult result = answer(execute(modelRequest("flaky-model", 0), "model", 1));

        // Then
        assertThat(result.getError()).isEqualTo("cannot use https://[redacted]@models.example/v1 with [redacted]");
    }

    // ---- at-most-once tools: the claim on a first delivery ----

    private static WorkResult earlierRecord(WorkOutcome outcome, Object result) {
        return WorkResult.newBuilder()
                .setWorkId("w-1")
                .setSessionId("s-1")
                .setOutcome(outcome)
                .setResult(result)
                .setUsage(Usage.newBuilder()
                        .setInputTokens(0)
                        .setOutputTokens(0)
                        .setCostMicros(0)
                        .build())
                .setWorkerId("worker-0")
                .setDeliveryCount(1)
                .build();
    }

    @Test
    void shouldClaimThenRunWhenNoEarlierDeliveryClaimedAnAtMostOnceCall() {
        // Given a first delivery of an at-most-once tool call, and nothing of it before this delivery's claim
        // When
        WorkResult result = answer(execute(toolRequest("charge", ToolSemantics.AT_MOST_ONCE), "tools", 1));

        // Then the tool ran once, after its claim: a DELAYED marker the engine takes as progress until the timeout
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(charges).hasValue(1);
        assertThat(results.claims).singleElement().satisfies(marker -> {
            assertThat(io.agentlog.worker.ClaimMarkers.isClaim(marker)).isTrue();
            assertThat(marker.getOutcome()).isEqualTo(WorkOutcome.DELAYED);
            assertThat(marker.getWorkId()).isEqualTo("w-1");
            assertThat(marker.getSessionId()).isEqualTo("s-1");
            assertThat(marker.getWorkerId()).isEqualTo("worker-1");
            assertThat(marker.getDeliveryCount()).isEqualTo(1);
            WorkProgress progress = (WorkProgress) marker.getResult();
            assertThat(progress.getReason()).startsWith("claim: ").contains("at-most-once tool charge");
            assertThat(progress.getExpectedBy()).isEqualTo(NOW.plusSeconds(30));
        });
        assertThat(delayed).isEmpty();
    }

    @Test
    void shouldNeitherRunNorAnswerWhenAnotherDeliveryClaimedTheCallFirst() {
        // Given another delivery's claim before this one's on the results partition (the share-partition leader died
        // while that delivery held the item, and it came back as delivery 1)
        WorkResult otherClaim = earlierRecord(
                WorkOutcome.DELAYED,
                WorkProgress.newBuilder()
                        .setReason("claim: worker worker-0 runs at-most-once tool charge (delivery 1)")
                        .setExpectedBy(NOW)
                        .build());
        results.claim = marker -> new ResultLookup.Claim(new WorkContext.ResultCheck(4, 99), Optional.of(otherClaim));

        // When
        Execution execution = execute(toolRequest("charge", ToolSemantics.AT_MOST_ONCE), "tools", 1);

        // Then the tool is not run and no result is written: the earlier claimant answers
        assertThat(execution).isInstanceOf(Execution.ClaimedEarlier.class);
        assertThat(((Execution.ClaimedEarlier) execution).reason())
                .contains("claimed first by delivery 1 on worker worker-0 (its claim is before")
                .contains("offset 99 of partition 4");
        assertThat(charges).hasValue(0);
        assertThat(results.claims).hasSize(1);
    }

    @Test
    void shouldNeitherRunNorAnswerWhenAnEarlierDeliveryAlreadyAnsweredTheCall() {
        // Given a result of the call before this delivery's claim (its worker answered, then its acknowledgement
        // failed while the share-partition leader was down)
        results.claim = marker -> new ResultLookup.Claim(
                new WorkContext.ResultCheck(4, 99),
                Optional.of(earlierRecord(WorkOutcome.OK, io.agentlog.worker.tool.ToolOutputs.ok("charged"))));

        // When
        Execution execution = execute(toolRequest("charge", ToolSemantics.AT_MOST_ONCE), "tools", 1);

        // Then
        assertThat(execution).isInstanceOf(Execution.ClaimedEarlier.class);
        assertThat(((Execution.ClaimedEarlier) execution).reason()).contains("(its OK result is before");
        assertThat(charges).hasValue(0);
    }

    @Test
    void shouldAnswerOutcomeUnknownWithoutRunningWhenTheClaimCannotBeMade() {
        // Given a results partition that cannot be written or read
        results.claim = marker -> {
            throw new org.apache.kafka.common.errors.TimeoutException("broker unreachable");
        };

        // When
        WorkResult result = answer(execute(toolRequest("charge", ToolSemantics.AT_MOST_ONCE), "tools", 1));

        // Then
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OUTCOME_UNKNOWN);
        assertThat(result.getError())
                .contains("could not claim the call (broker unreachable)")
                .contains("not run here")
                .contains("s-1/w-1");
        assertThat(charges).hasValue(0);
    }

    @Test
    void shouldClaimNeitherIdempotentToolsNorRedeliveriesNorUnknownTools() {
        // When
        answer(execute(toolRequest("charge", ToolSemantics.IDEMPOTENT), "tools", 1));
        WorkResult redelivered = answer(execute(toolRequest("charge", ToolSemantics.AT_MOST_ONCE), "tools", 2));
        WorkResult unknown = answer(execute(toolRequest("refund", ToolSemantics.AT_MOST_ONCE), "tools", 1));

        // Then
        assertThat(results.claims).isEmpty();
        assertThat(charges).hasValue(1);
        assertThat(redelivered.getOutcome()).isEqualTo(WorkOutcome.OUTCOME_UNKNOWN);
        assertThat(unknown.getError()).startsWith("unknown tool refund");
    }

    // ---- model calls: first deliveries after a leader change ----

    @Test
    void shouldLookForAnEarlierResultWhenAFirstDeliveryComesFromANewerLeaderThanItsRecords() {
        // Given a record written in leader epoch 0 of a partition whose leader is now in epoch 2, and a committed
        // result
        epochs = (partition, since) -> 2;
        results.find = request -> new ResultLookup.Lookup(
                new WorkContext.ResultCheck(3, 42), Optional.of(earlierRecord(WorkOutcome.OK, null)));

        // When its first delivery comes
        Execution execution = execute(modelRequest("flaky-model", 0), "model", 1);

        // Then the model is not called
        assertThat(execution).isInstanceOf(Execution.AlreadyAnswered.class);
        assertThat(((Execution.AlreadyAnswered) execution).reason())
                .contains("the leader of agentlog.work.model-3 changed since the record was written (leader epoch 0,"
                        + " now 2)");
        assertThat(modelCalls).isEmpty();
    }

    @Test
    void shouldCallWithTheCheckWhenAFirstDeliveryFromANewerLeaderFindsNoEarlierResult() {
        // Given
        epochs = (partition, since) -> 1;
        results.find = request -> new ResultLookup.Lookup(new WorkContext.ResultCheck(2, 57), Optional.empty());

        // When
        WorkResult result = answer(execute(modelRequest("flaky-model", 0), "model", 1));

        // Then the model is called once, knowing how far the worker looked, and the session was told first
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(modelCalls)
                .singleElement()
                .satisfies(c -> assertThat(c.resultCheck()).contains(new WorkContext.ResultCheck(2, 57)));
        assertThat(delayed)
                .singleElement()
                .satisfies(r -> assertThat(((WorkProgress) r.getResult()).getReason())
                        .contains("leader epoch 0, now 1")
                        .contains("no result of one was committed"));
    }

    @Test
    void shouldCallWithoutLookingWhenAFirstDeliveryComesFromTheLeaderItsRecordWasWrittenUnder() {
        // When (the record was written in epoch 0, the leader's epoch now)
        WorkResult result = answer(execute(modelRequest("flaky-model", 0), "model", 1));

        // Then
        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(results.finds).isEmpty();
        assertThat(modelCalls)
                .singleElement()
                .satisfies(c -> assertThat(c.resultCheck()).isEmpty());
        assertThat(delayed).isEmpty();
    }

    @Test
    void shouldLookForAnEarlierResultWhenTheLeaderEpochCannotBeLearned() {
        // Given
        epochs = (partition, since) -> {
            throw new org.apache.kafka.common.errors.TimeoutException("no leader");
        };
        results.find = request -> new ResultLookup.Lookup(
                new WorkContext.ResultCheck(3, 42), Optional.of(earlierRecord(WorkOutcome.OK, null)));

        // When
        Execution execution = execute(modelRequest("flaky-model", 0), "model", 1);

        // Then
        assertThat(execution).isInstanceOf(Execution.AlreadyAnswered.class);
        assertThat(modelCalls).isEmpty();
    }
}
