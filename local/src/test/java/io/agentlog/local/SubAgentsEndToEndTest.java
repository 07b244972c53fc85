package io.agentlog.local;

import static io.agentlog.local.SessionRecords.events;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.cli.CliRun;
import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sub-agents ({@code spawn_agent}) end to end on a real broker: children run as sessions of their own, their answers
 * and failures come back to the parent's model as tool results, and a cancelled parent ends its children.
 */
class SubAgentsEndToEndTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static InProcessStack stack;
    private static AgentlogClient client;

    @BeforeAll
    static void startStack() throws Exception {
        stack = InProcessStack.start("subagents", DEADLINE);
        client = stack.client;
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldGiveTheParentTheAnswersOfThreeChildrenAndTheFailureOfOneAsAToolError() {
        // Given a helper that answers, a broken agent whose model fails on its second turn, and a parent whose turn
        // spawns a helper, the broken one and another helper
        String helper = agent("""
                tools: [list_files]
                script:
                  - text: forty-two
                """);
        String broken = agent("""
                tools: [list_files]
                script:
                  - toolCalls: [{name: list_files, arguments: {}}]
                """);
        String parentAgent = agent("""
                tools: [spawn_agent]
                script:
                  - toolCalls:
                      - {id: a, name: spawn_agent, arguments: {agent: %1$s, input: first}}
                      - {id: b, name: spawn_agent, arguments: {agent: %2$s, input: second}}
                      - {id: c, name: spawn_agent, arguments: {agent: %1$s, input: third}}
                  - text: two of three answered
                """.formatted(helper, broken));

        // When the parent runs
        String parent =
                client.submit(AgentlogClient.task(parentAgent, "delegate").build());
        SessionResult result = client.awaitResult(parent, DEADLINE);

        // Then the three children ran as sessions of their own, one of them failed
        assertThat(result.getStatus()).as(result.toString()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("two of three answered");
        List<SessionResult> children = List.of(parent + ":w1", parent + ":w2", parent + ":w3").stream()
                .map(child -> client.awaitResult(child, DEADLINE))
                .toList();
        assertThat(children)
                .allSatisfy(child -> assertThat(child.getParentSessionId()).isEqualTo(parent));
        assertThat(children)
                .extracting(SessionResult::getStatus)
                .containsExactly(ResultStatus.COMPLETED, ResultStatus.FAILED, ResultStatus.COMPLETED);

        // and the parent's model saw the answers, and the failure as an error result of its call
        ModelCall next = SessionRecords.awaitModelCall(parent, 1, DEADLINE);
        assertThat(SessionRecords.toolMessage(next, "a").getContent()).isEqualTo("forty-two");
        assertThat(SessionRecords.toolMessage(next, "c").getContent()).isEqualTo("forty-two");
        Message failed = SessionRecords.toolMessage(next, "b");
        assertThat(failed.getIsError()).isTrue();
        assertThat(failed.getContent())
                .contains("child session " + parent + ":w2")
                .contains("FAILED")
                .contains(children.get(1).getError());
    }

    @Test
    void shouldCancelTheChildrenOfACancelledParent() {
        // Given a parent whose two children each wait for a human's answer
        String asker = agent("""
                tools: [ask_human]
                script:
                  - toolCalls: [{name: ask_human, arguments: {question: "Go on?"}}]
                  - text: went on
                """);
        String parentAgent = agent("""
                tools: [spawn_agent]
                script:
                  - toolCalls:
                      - {name: spawn_agent, arguments: {agent: %1$s, input: one}}
                      - {name: spawn_agent, arguments: {agent: %1$s, input: two}}
                  - text: never reached
                """.formatted(asker));
        String parent =
                client.submit(AgentlogClient.task(parentAgent, "delegate").build());
        List<String> children = List.of(parent + ":w1", parent + ":w2");
        Awaitility.await("both children waiting for an answer")
                .atMost(DEADLINE)
                .until(() -> children.stream()
                        .allMatch(child -> client.awaitingAnswer(child).size() == 1));

        // When the parent is cancelled
        CliRun cancelled = CliRun.onSharedBroker("cancel", parent, "--reason", "no longer needed");

        // Then it ends CANCELLED, and so does each child, saying why
        assertThat(cancelled.exitCode()).as(cancelled.err()).isZero();
        assertThat(client.awaitResult(parent, DEADLINE).getStatus()).isEqualTo(ResultStatus.CANCELLED);
        for (String child : children) {
            SessionResult result = client.awaitResult(child, DEADLINE);
            assertThat(result.getStatus()).isEqualTo(ResultStatus.CANCELLED);
            assertThat(result.getError()).contains("parent session " + parent + " ended CANCELLED");
            List<SessionEvent> journal = client.journal(child);
            assertThat(events(journal, SessionEnded.class)).hasSize(1);
            assertThat(journal.getLast().getEvent()).isInstanceOf(SessionEnded.class);
            assertThat(client.awaitingAnswer(child)).isEmpty();
        }
    }

    private static String agent(String body) {
        return stack.putAgent("subagents", body);
    }
}
