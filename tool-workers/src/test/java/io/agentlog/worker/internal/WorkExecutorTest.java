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
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.model.ModelProvider;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.model.ScriptedModelProvider;
import io.agentlog.worker.tool.NoopTool;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
        public ToolOutput run(ToolInvocation invocation, io.agentlog.worker.tool.ToolContext context) {
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
        public io.agentlog.worker.model.ModelResult complete(ModelCall call) {
            throw new IllegalStateException("bug in provider");
        }
    };

    private final WorkExecutor executor = new WorkExecutor(
            "worker-1",
            ModelProviders.of(new ScriptedModelProvider(), broken),
            ToolRegistry.of(new NoopTool(), flaky),
            3,
            Duration.ofMillis(100),
            Clock.fixed(NOW, ZoneOffset.UTC));

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
                        .build())
                .build();
    }

    static WorkRequest modelRequest(String provider, int turn) {
        return WorkRequest.newBuilder()
                .setWorkId("w-2")
                .setSessionId("s-1")
                .setPool("model")
                .setRequest(ModelCall.newBuilder()
                        .setModel(new ModelSpec(provider, "", null, null, Map.of(), ""))
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
        WorkResult result = answer(executor.execute(toolRequest("noop", ToolSemantics.IDEMPOTENT), "tools", 1));

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
        WorkResult result = answer(executor.execute(toolRequest("rm_rf", ToolSemantics.IDEMPOTENT), "tools", 1));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(result.getError()).startsWith("unknown tool rm_rf in pool tools");
    }

    @Test
    void shouldAnswerOutcomeUnknownWithoutRunningWhenAnAtMostOnceToolIsDeliveredAgain() {
        WorkResult result = answer(executor.execute(toolRequest("flaky", ToolSemantics.AT_MOST_ONCE), "tools", 2));

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
        WorkResult result = answer(executor.execute(toolRequest("noop", ToolSemantics.IDEMPOTENT), "tools", 2));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(result.getDeliveryCount()).isEqualTo(2);
    }

    @Test
    void shouldRetryWithGrowingBackoffWhenTheFailureIsTransient() {
        WorkExecutor fiveDeliveries = new WorkExecutor(
                "worker-1",
                ModelProviders.of(new ScriptedModelProvider()),
                ToolRegistry.of(flaky),
                5,
                Duration.ofMillis(100),
                Clock.fixed(NOW, ZoneOffset.UTC));
        Execution first = fiveDeliveries.execute(toolRequest("flaky", ToolSemantics.IDEMPOTENT), "tools", 1);
        Execution second = fiveDeliveries.execute(toolRequest("flaky", ToolSemantics.IDEMPOTENT), "tools", 2);

        assertThat(first)
                .isEqualTo(new Execution.Retry("tool flaky failed transiently: the backend is briefly down", 100));
        assertThat(((Execution.Retry) second).backoffMs()).isEqualTo(200);
    }

    @Test
    void shouldRejectWithTheFailureWhenTheFailureIsTransientOnTheDeliveryBeforeTheLast() {
        // Given a tool that fails transiently, and 3 deliveries allowed
        // When its second delivery fails too
        Execution execution = executor.execute(toolRequest("flaky", ToolSemantics.IDEMPOTENT), "tools", 2);

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
                executor.execute(toolRequest("flaky", ToolSemantics.IDEMPOTENT), "tools", 3),
                executor.execute(toolRequest("flaky", ToolSemantics.AT_MOST_ONCE), "tools", 4),
                executor.execute(modelRequest("scripted", 0), "model", 3));

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
        WorkResult result = answer(executor.execute(toolRequest("flaky", ToolSemantics.AT_MOST_ONCE), "tools", 1));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(result.getError()).contains("at-most-once, so it is not retried");
    }

    @Test
    void shouldAnswerTheScriptedTurnWithUsageWhenTheModelCallSucceeds() {
        WorkResult result = answer(executor.execute(modelRequest("scripted", 0), "model", 1));

        assertThat(result.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ModelReply) result.getResult()).getText()).isEqualTo("hello");
        assertThat(result.getUsage().getInputTokens()).isEqualTo(1);
        assertThat(result.getUsage().getOutputTokens()).isEqualTo(2);
    }

    @Test
    void shouldAnswerErrorWhenTheScriptIsExhaustedOrTheProviderIsUnknownOrBroken() {
        assertThat(answer(executor.execute(modelRequest("scripted", 1), "model", 1))
                        .getError())
                .contains("the scripted model has no turn 1");
        assertThat(answer(executor.execute(modelRequest("anthropic", 0), "model", 1))
                        .getError())
                .isEqualTo("unknown model provider 'anthropic'; this worker has [broken, scripted]");
        assertThat(answer(executor.execute(modelRequest("broken", 0), "model", 1))
                        .getError())
                .contains("model provider 'broken' failed")
                .contains("bug in provider");
    }
}
