package io.agentlog.local;

import static io.agentlog.local.SessionRecords.events;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.cli.CliRun;
import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ApprovalDecided;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.HumanAnswered;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SleepStarted;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.UserMessageAdded;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.testkit.SharedBroker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Session controls end to end on a real broker, with the engine and a worker in this JVM: approvals, denials and
 * questions decided after the engine restarted, a durable sleep and a per-call timeout that fire after a restart,
 * steering while a tool runs, and a cancel in the middle of a parallel fan-out. Every restart starts the engine on a
 * new, empty state directory, so what it knows of a session comes back from the changelogs.
 */
class ControlsEndToEndTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /** A pool whose worker runs {@link HeldTool}; named per run, so engines of later classes find no worker for it. */
    private static final String HELD_POOL =
            "held-" + UUID.randomUUID().toString().substring(0, 8);
    /** A pool with a work topic and no worker: its calls are never answered. */
    private static final String IDLE_POOL =
            "idle-" + UUID.randomUUID().toString().substring(0, 8);

    private static final HeldTool held = new HeldTool();
    private static InProcessStack stack;
    private static AgentlogClient client;

    @BeforeAll
    static void startStack() throws Exception {
        TopicSetup.createAll(SharedBroker.bootstrapServers(), List.of(IDLE_POOL), (short) 1, Duration.ofSeconds(30));
        stack = InProcessStack.start(
                "controls",
                DEADLINE,
                worker -> worker.pools(List.of(Topics.MODEL_POOL, Topics.TOOLS_POOL, HELD_POOL)),
                List.of(held));
        client = stack.client;
    }

    @AfterAll
    static void stopStack() {
        held.releaseAll();
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldRunACallApprovedAfterTheEngineRestartedOnEmptyState() throws Exception {
        // Given a session parked on a write that needs approval
        String agent = agent("""
                tools:
                  - {name: write_file, requiresApproval: true}
                script:
                  - toolCalls:
                      - {id: w, name: write_file, arguments: {path: note.txt, content: approved later}}
                  - text: written
                """);
        String session =
                client.submit(AgentlogClient.task(agent, "write the note").build());
        Awaitility.await("the write waiting for approval")
                .atMost(DEADLINE)
                .until(() -> client.awaitingApproval(session).size() == 1);

        // When the engine restarts with an empty state directory, then the call is approved from the command line
        stack.restartEngine(DEADLINE);
        assertThat(client.awaitingApproval(session))
                .extracting(ApprovalRequested::getToolCallId)
                .containsExactly("w");
        CliRun approved = CliRun.onSharedBroker("approve", session);

        // Then the call runs and the session completes
        assertThat(approved.exitCode()).as(approved.err()).isZero();
        assertThat(approved.out()).contains("Approved call w (write_file) of session " + session);
        SessionResult result = client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).as(result.toString()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("written");
        List<SessionEvent> journal = client.journal(session);
        assertThat(events(journal, ApprovalDecided.class))
                .singleElement()
                .satisfies(d -> assertThat(d.getApproved()).isTrue());
        assertThat(events(journal, FileWritten.class))
                .extracting(FileWritten::getPath)
                .containsExactly("note.txt");
        assertThat(events(journal, ToolCompleted.class))
                .singleElement()
                .satisfies(c -> assertThat(c.getOutcome()).isEqualTo(WorkOutcome.OK));
    }

    @Test
    void shouldShowTheModelTheMessageOfADeniedCall() {
        // Given a session whose write waits for approval
        String agent = agent("""
                tools:
                  - {name: write_file, requiresApproval: true}
                script:
                  - toolCalls:
                      - {id: w, name: write_file, arguments: {path: secrets.txt, content: hunter2}}
                  - text: understood
                """);
        String session =
                client.submit(AgentlogClient.task(agent, "store the password").build());
        Awaitility.await("the write waiting for approval")
                .atMost(DEADLINE)
                .until(() -> client.awaitingApproval(session).size() == 1);

        // When a human denies it with a message
        CliRun denied = CliRun.onSharedBroker("deny", session, "--message", "never write passwords to files");

        // Then nothing is written, and the model's next request has the message as the call's result
        assertThat(denied.exitCode()).as(denied.err()).isZero();
        SessionResult result = client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        Message shown = SessionRecords.toolMessage(SessionRecords.awaitModelCall(session, 1, DEADLINE), "w");
        assertThat(shown.getIsError()).isTrue();
        assertThat(shown.getContent())
                .isEqualTo("not run: a human denied this call of write_file: never write passwords to files");
        List<SessionEvent> journal = client.journal(session);
        assertThat(events(journal, FileWritten.class)).isEmpty();
        assertThat(events(journal, ApprovalDecided.class)).singleElement().satisfies(d -> {
            assertThat(d.getApproved()).isFalse();
            assertThat(d.getMessage()).isEqualTo("never write passwords to files");
        });
    }

    /**
     * "A day later" without a simulated clock: a question holds no timer at all (only approvals, questions and a
     * session without a wall-time budget are like that), so no amount of time passing can end the wait; what has to
     * survive the day is the session itself, which a restart on empty state shows.
     */
    @Test
    void shouldResumeAQuestionAnsweredAfterAnEngineRestartWithNoTimerRunningMeanwhile() throws Exception {
        // Given a session waiting for the answer to its question, with no wall-time budget
        String agent = agent("""
                tools: [ask_human]
                script:
                  - toolCalls:
                      - {id: q, name: ask_human, arguments: {question: "Which region?"}}
                  - text: deploying
                """);
        String session = client.submit(AgentlogClient.task(agent, "deploy").build());
        Awaitility.await("the question")
                .atMost(DEADLINE)
                .until(() -> client.awaitingAnswer(session).size() == 1);
        assertThat(SessionRecords.timers(stack.engine(), session, DEADLINE))
                .as("timers of a session that waits for a human")
                .isEmpty();

        // When the engine restarts with an empty state directory and the answer comes after that
        stack.restartEngine(DEADLINE);
        assertThat(SessionRecords.timers(stack.engine(), session, DEADLINE)).isEmpty();
        CliRun answered = CliRun.onSharedBroker("answer", session, "eu-west-1");

        // Then the session goes on with the answer as the tool's result
        assertThat(answered.exitCode()).as(answered.err()).isZero();
        SessionResult result = client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("deploying");
        assertThat(events(client.journal(session), HumanAnswered.class))
                .extracting(HumanAnswered::getAnswer)
                .containsExactly("eu-west-1");
        Message shown = SessionRecords.toolMessage(SessionRecords.awaitModelCall(session, 1, DEADLINE), "q");
        assertThat(shown.getContent()).isEqualTo("eu-west-1");
        assertThat(shown.getIsError()).isFalse();
    }

    @Test
    void shouldWakeADurableSleepAfterAnEngineRestartAndNotBefore() throws Exception {
        // Given a session sleeping for 6 seconds
        String agent = agent("""
                tools: [sleep]
                script:
                  - toolCalls:
                      - {id: z, name: sleep, arguments: {seconds: 6}}
                  - text: awake
                """);
        String session = client.submit(AgentlogClient.task(agent, "nap").build());
        SleepStarted sleep = Awaitility.await("the sleep")
                .atMost(DEADLINE)
                .until(() -> events(client.journal(session), SleepStarted.class), found -> !found.isEmpty())
                .getFirst();
        Instant until = sleep.getUntil();
        assertThat(SessionRecords.timers(stack.engine(), session, DEADLINE))
                .as("the sleep's timer")
                .containsValue(until.toEpochMilli());

        // When the engine restarts on an empty state directory while it sleeps
        Instant stopped = stack.restartEngine(DEADLINE);
        assertThat(stopped)
                .as("the old engine stopped before the sleep was due")
                .isBefore(until);

        // Then the new engine wakes it, at its time and not before, and the session completes
        SessionResult result = client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("awake");
        assertThat(result.getFinishedAt()).isAfterOrEqualTo(until);
        SessionEvent woke = client.journal(session).stream()
                .filter(e -> e.getEvent() instanceof ToolCompleted)
                .findFirst()
                .orElseThrow();
        assertThat(woke.getAt()).isAfterOrEqualTo(until);
        assertThat(((ToolCompleted) woke.getEvent()).getContent()).startsWith("slept until " + until);
    }

    @Test
    void shouldTimeOutACallWhoseWorkerNeverAnswersAfterAnEngineRestart() throws Exception {
        // Given a session whose tool call (5 s timeout) went to a pool no worker serves
        String agent = agent("""
                tools:
                  - {name: lookup, description: Looks it up, pool: %s, timeoutMs: 5000}
                script:
                  - toolCalls:
                      - {id: l, name: lookup, arguments: {}}
                  - text: gave up
                """.formatted(IDLE_POOL));
        String session = client.submit(AgentlogClient.task(agent, "look it up").build());
        ToolRequested requested = Awaitility.await("the tool call")
                .atMost(DEADLINE)
                .until(() -> events(client.journal(session), ToolRequested.class), found -> !found.isEmpty())
                .getFirst();

        // When the engine restarts on an empty state directory while the call is pending
        Instant stopped = stack.restartEngine(DEADLINE);
        assertThat(stopped)
                .as("the old engine stopped before the call's deadline")
                .isBefore(requested.getDeadline());

        // Then the timeout still fires, and the model sees it as the call's error result
        SessionResult result = client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("gave up");
        ToolCompleted timedOut =
                events(client.journal(session), ToolCompleted.class).getFirst();
        assertThat(timedOut.getIsError()).isTrue();
        assertThat(timedOut.getOutcome()).isEqualTo(WorkOutcome.ERROR);
        assertThat(timedOut.getContent()).matches("timed out after \\d+ ms with no result");
        assertThat(Long.parseLong(timedOut.getContent().replaceAll("\\D", ""))).isGreaterThanOrEqualTo(5000);
        Message shown = SessionRecords.toolMessage(SessionRecords.awaitModelCall(session, 1, DEADLINE), "l");
        assertThat(shown.getContent()).isEqualTo(timedOut.getContent());
        assertThat(shown.getIsError()).isTrue();
    }

    @Test
    void shouldShowTheModelAMessageSteeredInWhileAToolRan() {
        // Given a session whose tool call is running
        String key = "steer-" + UUID.randomUUID();
        String agent = agent("""
                tools:
                  - %s
                script:
                  - toolCalls:
                      - {id: h, name: hold, arguments: {key: %s}}
                  - text: steered
                """.formatted(HeldTool.spec(HELD_POOL), key));
        String session =
                client.submit(AgentlogClient.task(agent, "do the thing").build());
        Awaitility.await("the tool running").atMost(DEADLINE).until(() -> held.started(key));

        // When a user steers the session, and then the tool finishes
        CliRun steered = CliRun.onSharedBroker("steer", session, "Also update the changelog");
        assertThat(steered.exitCode()).as(steered.err()).isZero();
        Awaitility.await("the user message in the journal")
                .atMost(DEADLINE)
                .until(() ->
                        !events(client.journal(session), UserMessageAdded.class).isEmpty());
        held.release(key);

        // Then the next model turn sees the tool's result and then the user's message
        SessionResult result = client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        List<Message> messages =
                SessionRecords.awaitModelCall(session, 1, DEADLINE).getMessages();
        assertThat(messages)
                .extracting(Message::getRole)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.USER);
        assertThat(messages.get(2).getContent()).isEqualTo("released " + key);
        assertThat(messages.get(3).getContent()).isEqualTo("Also update the changelog");
    }

    @Test
    void shouldEndACancelledFanOutAtOnceAndIgnoreResultsThatArriveLate() throws Exception {
        // Given a session whose turn runs three slow tool calls in parallel
        String run = UUID.randomUUID().toString();
        List<String> keys = List.of("a-" + run, "b-" + run, "c-" + run);
        String agent = agent("""
                tools:
                  - %s
                script:
                  - toolCalls:
                      - {name: hold, arguments: {key: %s}}
                      - {name: hold, arguments: {key: %s}}
                      - {name: hold, arguments: {key: %s}}
                  - text: never reached
                """.formatted(HeldTool.spec(HELD_POOL), keys.get(0), keys.get(1), keys.get(2)));
        String session = client.submit(AgentlogClient.task(agent, "fan out").build());
        Awaitility.await("all three calls running")
                .atMost(DEADLINE)
                .until(() -> keys.stream().allMatch(held::started));

        // When it is cancelled while they run
        CliRun cancelled = CliRun.onSharedBroker("cancel", session, "--reason", "changed my mind");

        // Then it ends CANCELLED without waiting for them, and each running call is stopped on its worker
        assertThat(cancelled.exitCode()).as(cancelled.err()).isZero();
        SessionResult result = client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.CANCELLED);
        assertThat(result.getError()).isEqualTo("cancelled: changed my mind");
        Awaitility.await("the cancel reaching the worker's three calls")
                .atMost(DEADLINE)
                .until(() -> keys.stream().allMatch(held::interrupted));

        // When results for the three calls still arrive (from a worker that never heard of the cancel), followed on
        // the same partition by the result another session waits for
        String marker = SessionRecords.onSamePartitionAs(session, "controls-marker-");
        String markerAgent = agent("""
                tools:
                  - {name: lookup, description: Looks it up, pool: %s}
                script:
                  - toolCalls:
                      - {id: m, name: lookup, arguments: {}}
                  - text: marker done
                """.formatted(IDLE_POOL));
        client.submit(
                AgentlogClient.task(markerAgent, "wait").setSessionId(marker).build());
        String markerWork = Awaitility.await("the marker's tool call")
                .atMost(DEADLINE)
                .until(() -> events(client.journal(marker), ToolRequested.class), found -> !found.isEmpty())
                .getFirst()
                .getWorkId();
        List<String> fanOut = events(client.journal(session), ToolRequested.class).stream()
                .map(ToolRequested::getWorkId)
                .toList();
        assertThat(fanOut).hasSize(3);
        SessionRecords.sendWorkResults(List.of(
                SessionRecords.lateToolResult(session, fanOut.get(0), "late"),
                SessionRecords.lateToolResult(session, fanOut.get(1), "late"),
                SessionRecords.lateToolResult(session, fanOut.get(2), "late"),
                SessionRecords.lateToolResult(marker, markerWork, "for the marker")));

        // Then once the engine has taken them all (the marker completed), the cancelled session is as it was: its
        // journal ends with its SessionEnded CANCELLED, it has no tool result, and it has one result
        assertThat(client.awaitResult(marker, DEADLINE).getStatus()).isEqualTo(ResultStatus.COMPLETED);
        List<SessionEvent> journal = client.journal(session);
        assertThat(journal.getLast().getEvent())
                .isInstanceOfSatisfying(
                        SessionEnded.class,
                        ended -> assertThat(ended.getStatus()).isEqualTo(ResultStatus.CANCELLED));
        assertThat(events(journal, SessionEnded.class)).hasSize(1);
        assertThat(events(journal, ToolCompleted.class)).isEmpty();
        assertThat(SessionRecords.results(session, DEADLINE))
                .singleElement()
                .satisfies(r -> assertThat(r.getStatus()).isEqualTo(ResultStatus.CANCELLED));
    }

    private static String agent(String body) {
        return stack.putAgent("controls", body);
    }
}
