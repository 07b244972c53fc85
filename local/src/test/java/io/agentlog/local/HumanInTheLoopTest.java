package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.cli.CliRun;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.HumanAsked;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionResult;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Calls that wait for people, end to end on a real broker with the engine and a worker: the CLI's {@code approve},
 * {@code deny}, {@code answer} and {@code history} against sessions parked on them.
 */
class HumanInTheLoopTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static InProcessStack stack;
    private static AgentlogClient client;

    @BeforeAll
    static void startStack() throws Exception {
        stack = InProcessStack.start("humans", DEADLINE);
        client = stack.client;
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldRunAnApprovedCallWithEditedArgumentsAndGiveTheModelADenialAndAnAnswer() throws Exception {
        // Given an agent whose first turn writes two files (each write needs approval) and asks a question
        String name = "humans-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: scripted}
                tools:
                  - {name: write_file, requiresApproval: true}
                  - read_file
                  - ask_human
                script:
                  - toolCalls:
                      - {id: w1, name: write_file, arguments: {path: a.txt, content: model}}
                      - {id: w2, name: write_file, arguments: {path: b.txt, content: model}}
                      - {id: q1, name: ask_human, arguments: {question: "Which day?"}}
                  - toolCalls:
                      - {id: r1, name: read_file, arguments: {path: a.txt}}
                  - text: done
                """.formatted(name), "test"));
        String session =
                client.submit(AgentlogClient.task(name, "write and ask").build());
        Awaitility.await("both writes and the question waiting")
                .atMost(DEADLINE)
                .until(() -> client.awaitingApproval(session).size() == 2
                        && client.awaitingAnswer(session).size() == 1);

        // When an approve names no call while two wait, then each is decided and the question answered
        CliRun ambiguous = CliRun.onSharedBroker("approve", session);
        CliRun approved = CliRun.onSharedBroker(
                "approve", session, "w1", "--args", "{\"path\":\"a.txt\",\"content\":\"edited\"}");
        CliRun denied = CliRun.onSharedBroker("deny", session, "w2", "--message", "not b");
        CliRun answered = CliRun.onSharedBroker("answer", session, "Tuesday");

        // Then the ambiguous one is refused with the waiting calls, the others act
        assertThat(ambiguous.exitCode()).isEqualTo(2);
        assertThat(ambiguous.err())
                .contains("2 tool calls of session " + session)
                .contains("w1")
                .contains("w2");
        assertThat(approved.exitCode()).as(approved.err()).isZero();
        assertThat(denied.exitCode()).as(denied.err()).isZero();
        assertThat(answered.exitCode()).as(answered.err()).isZero();
        SessionResult result = client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);

        // and the journal shows the edited write ran, the denied one did not, and the model saw the answer
        CliRun history = CliRun.onSharedBroker("history", session);
        assertThat(history.exitCode()).isZero();
        assertThat(history.out())
                .contains("awaits approval")
                .contains("approved        write_file [w1] with arguments")
                .contains("denied          write_file [w2]: \"not b\"")
                .contains("human answered  \"Tuesday\" [q1]")
                .contains("read_file OK: \"edited\"")
                .doesNotContain("b.txt (");
        CliRun json = CliRun.onSharedBroker("history", session, "--json");
        assertThat(json.out().lines()).allMatch(line -> line.startsWith("{\"sessionId\":\"" + session + "\""));
        assertThat(client.awaitingApproval(session)).isEmpty();
        assertThat(client.awaitingAnswer(session)).isEmpty();
        assertThat(client.journal(session))
                .extracting(e -> e.getEvent())
                .hasAtLeastOneElementOfType(ApprovalRequested.class)
                .hasAtLeastOneElementOfType(HumanAsked.class);
    }

    @Test
    void shouldRefuseToCancelOrSteerASessionThatEndedOrNeverExisted() {
        // Given a session that completed
        String name = "humans-done-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: scripted}
                script: [{text: done}]
                """.formatted(name), "test"));
        SessionResult done =
                client.submitAndWait(AgentlogClient.task(name, "finish").build(), DEADLINE);
        assertThat(done.getStatus()).isEqualTo(ResultStatus.COMPLETED);

        // When it is cancelled and steered, and so is a session that never existed
        CliRun cancel = CliRun.onSharedBroker("cancel", done.getSessionId());
        CliRun steer = CliRun.onSharedBroker("steer", done.getSessionId(), "more");
        CliRun unknown = CliRun.onSharedBroker("cancel", "no-such-" + UUID.randomUUID());

        // Then each is refused with exit 2 and the reason, and nothing reaches the session's journal
        assertThat(cancel.exitCode()).isEqualTo(2);
        assertThat(cancel.err()).contains("already ended COMPLETED; nothing to cancel");
        assertThat(steer.exitCode()).isEqualTo(2);
        assertThat(steer.err()).contains("already ended COMPLETED; nothing to steer");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("has no events").contains("nothing to cancel");
        assertThat(client.journal(done.getSessionId()).getLast().getEvent()).isInstanceOf(SessionEnded.class);
    }
}
