package io.agentlog.local;

import static io.agentlog.local.SessionRecords.events;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.testkit.SharedBroker;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Session budgets end to end on a real broker: cost (priced from the definition's model prices), tokens (a task's own
 * budget) and wall time each end a session {@code BUDGET_EXCEEDED} with a message that says which and by how much. The
 * scripted model's usage is one token per four characters of the conversation ({@code ScriptedModelProvider}).
 */
class BudgetsEndToEndTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /** A pool with a work topic and no worker: its calls are never answered. */
    private static final String IDLE_POOL =
            "idle-" + UUID.randomUUID().toString().substring(0, 8);

    private static InProcessStack stack;
    private static AgentlogClient client;

    @BeforeAll
    static void startStack() throws Exception {
        TopicSetup.createAll(SharedBroker.bootstrapServers(), List.of(IDLE_POOL), (short) 1, Duration.ofSeconds(30));
        stack = InProcessStack.start("budgets", DEADLINE);
        client = stack.client;
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldEndASessionMidwayWhenItsCostPassesTheBudgetWithTheFigures() {
        // Given a model priced at $1,000 per million input and $2,000 per million output tokens (a scripted token costs
        // 1,000 or 2,000 micro-dollars), a script of five turns, and a budget of 20,000 micro-dollars, which the first
        // turns (6,000 and 8,000: each turn reads the whole conversation) leave room for
        String agent = agent("""
                model: {provider: scripted, price: {inputPerMillion: 1000, outputPerMillion: 2000}}
                tools: [noop]
                limits: {maxCostMicros: 20000}
                script:
                  - toolCalls: [{name: noop, arguments: {}}]
                  - toolCalls: [{name: noop, arguments: {}}]
                  - toolCalls: [{name: noop, arguments: {}}]
                  - toolCalls: [{name: noop, arguments: {}}]
                  - text: never reached
                """);

        // When it runs
        String session = client.submit(AgentlogClient.task(agent, "spend").build());
        SessionResult result = client.awaitResult(session, DEADLINE);

        // Then each turn is priced as it is journaled, and the session ends before the model call after the turn that
        // reached the budget, with the figures
        assertThat(result.getStatus()).as(result.toString()).isEqualTo(ResultStatus.BUDGET_EXCEEDED);
        List<Usage> turns = events(client.journal(session), ModelResponded.class).stream()
                .map(ModelResponded::getUsage)
                .toList();
        assertThat(turns).hasSizeBetween(2, 4).hasSize(result.getSteps());
        assertThat(turns)
                .allSatisfy(turn -> assertThat(turn.getCostMicros())
                        .isEqualTo(turn.getInputTokens() * 1000 + turn.getOutputTokens() * 2000));
        long spent = turns.stream().mapToLong(Usage::getCostMicros).sum();
        long beforeTheLastTurn = spent - turns.getLast().getCostMicros();
        assertThat(beforeTheLastTurn).isLessThan(20000);
        assertThat(spent).isGreaterThanOrEqualTo(20000);
        Usage usage = result.getUsage();
        assertThat(usage.getCostMicros()).isEqualTo(spent);
        assertThat(result.getError())
                .isEqualTo(String.format(
                        Locale.ROOT,
                        "cost budget spent: $%.6f (%d micro-dollars) used, the limit is $0.020000 (20000); %d input"
                                + " tokens (0 cached), %d output tokens",
                        spent / 1e6,
                        spent,
                        usage.getInputTokens(),
                        usage.getOutputTokens()));
    }

    @Test
    void shouldEndASessionOfAnAgentThatSpentItsDailyBudgetEvenAfterTheEngineRestarted() throws Exception {
        // Given an agent whose one-turn sessions cost more than half its daily budget of 20,000 micro-dollars
        String agent = agent("""
                model: {provider: scripted, price: {inputPerMillion: 1000, outputPerMillion: 2000}}
                limits: {maxAgentCostMicrosPerDay: 20000}
                script:
                  - text: done
                """);
        String input = "spend a little more than half of the day's budget, please";

        // When two sessions complete, and the engine restarts on empty state
        SessionResult first =
                client.submitAndWait(AgentlogClient.task(agent, input).build(), DEADLINE);
        SessionResult second =
                client.submitAndWait(AgentlogClient.task(agent, input).build(), DEADLINE);
        stack.restartEngine(DEADLINE);
        SessionResult third =
                client.submitAndWait(AgentlogClient.task(agent, input).build(), DEADLINE);

        // Then the third ends before its first model call: the day's spend came back from agentlog.spend
        assertThat(first.getStatus()).as(first.toString()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(second.getStatus()).as(second.toString()).isEqualTo(ResultStatus.COMPLETED);
        long spent = first.getUsage().getCostMicros() + second.getUsage().getCostMicros();
        assertThat(first.getUsage().getCostMicros()).isGreaterThan(10_000);
        assertThat(third.getStatus()).as(third.toString()).isEqualTo(ResultStatus.BUDGET_EXCEEDED);
        assertThat(third.getSteps()).isZero();
        assertThat(third.getError())
                .startsWith("daily cost budget of agent " + agent + " spent: its sessions used")
                .contains("(" + spent + " micro-dollars)")
                .endsWith("the limit is $0.020000 (20000) a day");
    }

    @Test
    void shouldEndASessionWhenItsTokensPassTheTasksBudget() {
        // Given an agent without a token limit, and a task that allows 40 tokens with an input of 50 tokens
        String agent = agent("""
                tools: [noop]
                script:
                  - toolCalls: [{name: noop, arguments: {}}]
                  - text: never reached
                """);
        String input = "x".repeat(200);

        // When it runs
        String session = client.submit(AgentlogClient.task(agent, input)
                .setBudget(Budget.newBuilder().setMaxTokens(40L).build())
                .build());
        SessionResult result = client.awaitResult(session, DEADLINE);

        // Then the first turn runs (nothing was spent before it), and the session ends before the second
        assertThat(result.getStatus()).as(result.toString()).isEqualTo(ResultStatus.BUDGET_EXCEEDED);
        assertThat(result.getSteps()).isEqualTo(1);
        long tokens = result.getUsage().getInputTokens() + result.getUsage().getOutputTokens();
        assertThat(tokens).isGreaterThanOrEqualTo(50);
        assertThat(result.getError()).isEqualTo("token budget spent: " + tokens + " tokens used, the limit is 40");
    }

    @Test
    void shouldEndASessionAtItsWallTimeBudgetWhileAToolCallIsPending() {
        // Given a session with 2 s of wall time whose tool call is never answered
        String agent = agent("""
                tools:
                  - {name: lookup, description: Looks it up, pool: %s}
                limits: {maxWallTimeMs: 2000}
                script:
                  - toolCalls: [{name: lookup, arguments: {}}]
                  - text: never reached
                """.formatted(IDLE_POOL));

        // When it runs
        String session = client.submit(AgentlogClient.task(agent, "wait").build());
        SessionResult result = client.awaitResult(session, DEADLINE);

        // Then it ends at its deadline, not the call's (60 s), with the limit in the message
        assertThat(result.getStatus()).as(result.toString()).isEqualTo(ResultStatus.BUDGET_EXCEEDED);
        assertThat(result.getError()).isEqualTo("wall time limit of 2000 ms reached");
        assertThat(Duration.between(result.getStartedAt(), result.getFinishedAt()))
                .isBetween(Duration.ofMillis(2000), Duration.ofSeconds(30));
        var journal = client.journal(session);
        assertThat(events(journal, ToolRequested.class)).hasSize(1);
        assertThat(journal.getLast().getEvent()).isInstanceOf(SessionEnded.class);
    }

    private static String agent(String body) {
        return stack.putAgent("budgets", body);
    }
}
