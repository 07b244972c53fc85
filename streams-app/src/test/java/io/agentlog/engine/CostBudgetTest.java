package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Model prices in a definition turn each turn's tokens into micro-dollars; a cost budget ends the session. */
class CostBudgetTest {

    /** $3 input, $0.30 cached input, $15 output per million tokens. */
    private static final ModelPrice PRICE = new ModelPrice(3.0, 15.0, 0.3);
    /** 100 input tokens (50 of them cached) and 20 output: 50 x 3 + 50 x 0.3 + 20 x 15 = 465 micro-dollars. */
    private static final Usage TURN = new Usage(100L, 20L, 0L, 50L);

    private EngineDriver engine;

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
        AgentDefinition base = agent("priced", List.of("noop"));
        Limits limits =
                Limits.newBuilder(base.getLimits()).setMaxCostMicros(1_000).build();
        ModelSpec model = ModelSpec.newBuilder(base.getModel()).setPrice(PRICE).build();
        engine.register(AgentDefinition.newBuilder(base)
                .setModel(model)
                .setLimits(limits)
                .build());
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldPriceEachTurnAndEndTheSessionBeforeTheModelCallThatWouldPassTheBudget() {
        // Given a session whose every turn costs 465 micro-dollars, with a budget of 1,000
        engine.tasks.pipeInput("c1", task("c1", "priced", "keep going"));

        // When three turns each call a tool
        for (int turn = 0; turn < 3; turn++) {
            WorkRequest request = engine.nextModelCall();
            engine.workResults.pipeInput("c1", priced(modelReply(request, "", call("n" + turn, "noop", "{}"))));
            engine.workResults.pipeInput("c1", toolResult(engine.toolWork.readValue(), "ok"));
        }

        // Then each turn's journal entry carries its cost, and no fourth model call goes out: 1,395 >= 1,000
        assertThat(engine.allEvents().stream()
                        .map(e -> e.getEvent())
                        .filter(ModelResponded.class::isInstance)
                        .map(e -> ((ModelResponded) e).getUsage().getCostMicros()))
                .containsExactly(465L, 465L, 465L);
        assertThat(engine.modelWork.isEmpty()).isTrue();
        SessionResult result = engine.results.readValue();
        assertThat(result.getStatus()).isEqualTo(ResultStatus.BUDGET_EXCEEDED);
        assertThat(result.getError())
                .contains("cost budget spent: $0.001395 (1395 micro-dollars)")
                .contains("the limit is $0.001000 (1000)")
                .contains("300 input tokens (150 cached), 60 output tokens");
        assertThat(result.getUsage().getCostMicros()).isEqualTo(1395);
    }

    @Test
    void shouldLowerTheDefinitionsCostBudgetWithTheTasks() {
        // Given a task that allows 400 micro-dollars
        TaskSubmitted task = task("c2", "priced", "one turn only");
        task.setBudget(new Budget(null, null, null, 400L));
        engine.tasks.pipeInput("c2", task);

        // When its first turn costs 465
        WorkRequest request = engine.nextModelCall();
        engine.workResults.pipeInput("c2", priced(modelReply(request, "", call("n", "noop", "{}"))));
        engine.workResults.pipeInput("c2", toolResult(engine.toolWork.readValue(), "ok"));

        // Then the session ends before its second
        assertThat(engine.modelWork.isEmpty()).isTrue();
        assertThat(engine.results.readValue().getError()).contains("the limit is $0.000400 (400)");
    }

    @Test
    void shouldEndEverySessionOfAnAgentWhoseSpendOfTheDayReachedItsDailyLimit() {
        // Given an agent whose sessions may spend 800 micro-dollars a day in all (465 a turn), no per-session limit
        AgentDefinition base = agent("daily", List.of("noop"));
        engine.register(AgentDefinition.newBuilder(base)
                .setModel(ModelSpec.newBuilder(base.getModel()).setPrice(PRICE).build())
                .setLimits(Limits.newBuilder(base.getLimits())
                        .setMaxAgentCostMicrosPerDay(800)
                        .build())
                .build());

        // When one session takes two turns (930 micro-dollars, the second allowed: 465 < 800 when it was asked)
        engine.tasks.pipeInput("d1", task("d1", "daily", "first"));
        engine.workResults.pipeInput("d1", priced(modelReply(engine.nextModelCall(), "", call("n0", "noop", "{}"))));
        engine.workResults.pipeInput("d1", toolResult(engine.toolWork.readValue(), "ok"));
        engine.workResults.pipeInput("d1", priced(modelReply(engine.nextModelCall(), "done")));
        assertThat(engine.results.readValue().getStatus()).isEqualTo(ResultStatus.COMPLETED);

        // Then the agent's next session of the day ends before its first model call, with the figures
        engine.tasks.pipeInput("d2", task("d2", "daily", "second"));
        assertThat(engine.modelWork.isEmpty()).isTrue();
        SessionResult result = engine.results.readValue();
        assertThat(result.getStatus()).isEqualTo(ResultStatus.BUDGET_EXCEEDED);
        assertThat(result.getError())
                .contains("daily cost budget of agent daily spent")
                .contains("$0.000930 (930 micro-dollars) on 2026-01-01 (UTC), the limit is $0.000800 (800) a day");

        // And the next day it may spend again (another agent's spend never counted)
        engine.driver.advanceWallClockTime(java.time.Duration.ofDays(1));
        engine.tasks.pipeInput(
                "d3", task("d3", "daily", "a new day"), EngineDriver.START.plus(java.time.Duration.ofDays(1)));
        assertThat(engine.nextModelCall().getSessionId()).isEqualTo("d3");
    }

    private static WorkResult priced(WorkResult reply) {
        reply.setUsage(Usage.newBuilder(TURN).build());
        return reply;
    }
}
