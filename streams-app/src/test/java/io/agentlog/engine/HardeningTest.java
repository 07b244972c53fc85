package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.engine.internal.WorkPools;
import io.agentlog.engine.session.StepFaults;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.WorkDelayed;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine's worst paths, each reproduced in the topology test driver. */
class HardeningTest {

    private static EngineConfig config() throws Exception {
        return EngineConfig.defaults("unused:9092", EngineDriver.tempDir());
    }

    @Test
    void shouldMoveAModelCallsDeadlineWhenItsWorkerReportsARateLimitAndCapItAtTheMaximumDelay() throws Exception {
        EngineConfig config = config().toBuilder()
                .modelTimeout(Duration.ofSeconds(60))
                .maxWorkDelay(Duration.ofMinutes(10))
                .build();
        try (EngineDriver engine = new EngineDriver(config)) {
            engine.register(agent("patient", List.of()));
            engine.tasks.pipeInput("d1", task("d1", "patient", "x"));
            WorkRequest call = engine.nextModelCall();

            // When the worker reports that it waits 5 minutes for a rate limit (past the 60 s model timeout)
            Instant start = EngineDriver.START;
            engine.workResults.pipeInput("d1", JournalFoldTest.delayed(call, start.plus(Duration.ofMinutes(5))));
            WorkDelayed delayed = (WorkDelayed) engine.allEvents().getLast().getEvent();
            assertThat(delayed.getReason()).contains("429");
            assertThat(delayed.getUntil())
                    .isEqualTo(start.plus(Duration.ofMinutes(5)).plusSeconds(30));

            // Then the model timeout passes without failing the session, and the late answer is taken
            engine.driver.advanceWallClockTime(Duration.ofMinutes(4));
            assertThat(engine.results.isEmpty()).isTrue();
            engine.workResults.pipeInput("d1", modelReply(call, "worth the wait"));
            assertThat(engine.results.readValue().getStatus()).isEqualTo(ResultStatus.COMPLETED);
        }
        try (EngineDriver engine = new EngineDriver(config)) {
            engine.register(agent("patient", List.of()));
            engine.tasks.pipeInput("d2", task("d2", "patient", "x"));
            WorkRequest call = engine.nextModelCall();

            // When the worker expects to answer only in an hour: the deadline moves to the 10 minute maximum
            engine.workResults.pipeInput(
                    "d2", JournalFoldTest.delayed(call, EngineDriver.START.plus(Duration.ofHours(1))));
            WorkDelayed delayed = (WorkDelayed) engine.allEvents().getLast().getEvent();
            assertThat(delayed.getUntil()).isEqualTo(EngineDriver.START.plus(Duration.ofMinutes(10)));

            // and past it the session fails, saying why
            engine.driver.advanceWallClockTime(Duration.ofMinutes(11));
            SessionResult result = engine.results.readValue();
            assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.getError()).contains("timed out").contains("AGENTLOG_MAX_WORK_DELAY_MS");
        }
    }

    @Test
    void shouldDeleteAnEndedSessionAfterItsRetentionAndKeepARunningOne() throws Exception {
        EngineConfig config =
                config().toBuilder().retention(Duration.ofMinutes(30)).build();
        try (EngineDriver engine = new EngineDriver(config)) {
            engine.register(agent("brief", List.of("write_file")));
            engine.tasks.pipeInput("ended", task("ended", "brief", "x"));
            engine.tasks.pipeInput("running", task("running", "brief", "x"));
            List<WorkRequest> calls = engine.modelWork.readValuesToList();
            engine.workResults.pipeInput(
                    "ended",
                    modelReply(calls.get(0), "", call("w", "write_file", "{\"path\":\"a\",\"content\":\"b\"}")));
            engine.workResults.pipeInput("ended", modelReply(engine.nextModelCall(), "done"));
            assertThat(engine.results.readValue().getSessionId()).isEqualTo("ended");

            // When less than the retention passes, both are kept
            engine.driver.advanceWallClockTime(Duration.ofMinutes(29));
            assertThat(StoreSnapshot.of(engine.driver, "ended").state()).isNotNull();

            // When it has passed, the ended session is gone and the running one is not
            engine.driver.advanceWallClockTime(Duration.ofMinutes(2));
            StoreSnapshot ended = StoreSnapshot.of(engine.driver, "ended");
            assertThat(ended.state()).isNull();
            assertThat(ended.history()).isEmpty();
            assertThat(ended.files()).isEmpty();
            assertThat(ended.timers()).isEmpty();
            StoreSnapshot running = StoreSnapshot.of(engine.driver, "running");
            assertThat(running.state()).isNotNull();
            assertThat(running.history()).isNotEmpty();
        }
    }

    @Test
    void shouldReferenceThePinnedDefinitionAndFailWhenItIsReplacedUnderTheSameVersion() throws Exception {
        try (EngineDriver engine = new EngineDriver(config())) {
            AgentDefinition original = agent("pinned", 1, List.of(), new Limits());
            original.setCreatedAt(Instant.parse("2026-01-01T00:00:00Z"));
            engine.register(original);
            engine.tasks.pipeInput("p1", task("p1", "pinned", "x"));
            WorkRequest first = engine.nextModelCall();

            // the session keeps a reference, not a copy
            var state = StoreSnapshot.of(engine.driver, "p1").state();
            assertThat(state.getAgent()).isEqualTo("pinned");
            assertThat(state.getAgentVersion()).isEqualTo(1);
            assertThat(state.getDefinitionCreatedAt()).isEqualTo(original.getCreatedAt());

            // When someone overwrites pinned@1 with other content
            AgentDefinition replaced = agent("pinned", 1, List.of(), new Limits());
            replaced.setSystemPrompt("Something else entirely.");
            replaced.setCreatedAt(Instant.parse("2026-02-01T00:00:00Z"));
            engine.register(replaced);
            engine.workResults.pipeInput("p1", modelReply(first, "", call("x", "noop", "{}")));
            engine.toolWork.readValuesToList();

            // Then the session does not silently run another agent: it fails, saying why
            SessionResult result = engine.results.readValue();
            assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.getError()).contains("pinned@1 was replaced").contains("register a new version");
        }
    }

    /** RE2/J matches in linear time what java.util.regex (still, on JDK 25) takes exponential time for. */
    static final String BACKTRACKING_PATTERN = "(a{1,30}){1,30}b";

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldGrepWithAPatternThatBacktracksInJavaRegexWithoutStallingOtherSessions() throws Exception {
        // the pattern really is hostile to java.util.regex on this JDK
        Thread backtracking = Thread.ofPlatform()
                .daemon()
                .start(() -> Pattern.compile(BACKTRACKING_PATTERN)
                        .matcher("a".repeat(30))
                        .find());
        backtracking.join(2000);
        assertThat(backtracking.isAlive())
                .as("java.util.regex still matching after 2 s")
                .isTrue();

        try (EngineDriver engine = new EngineDriver(config())) {
            engine.register(agent("grepper", List.of("write_file", "grep")));
            engine.register(agent("other", List.of()));
            engine.tasks.pipeInput("g1", task("g1", "grepper", "x"));
            engine.tasks.pipeInput("o1", task("o1", "other", "x"));
            List<WorkRequest> calls = engine.modelWork.readValuesToList();

            // When the model writes a file of 'a' lines and greps it with the backtracking pattern
            String lines = ("a".repeat(30) + "\\n").repeat(2000);
            engine.workResults.pipeInput(
                    "g1",
                    modelReply(
                            calls.get(0),
                            "",
                            call("w", "write_file", "{\"path\":\"a.txt\",\"content\":\"" + lines + "\"}"),
                            call("g", "grep", "{\"pattern\":\"" + BACKTRACKING_PATTERN + "\"}")));
            // and another session answers after it
            engine.workResults.pipeInput("o1", modelReply(calls.get(1), "still here"));

            // Then the grep answered (no match), and the other session completed
            List<Message> tools = engine.modelCall(engine.nextModelCall()).getMessages().stream()
                    .filter(m -> m.getRole() == Role.TOOL)
                    .toList();
            assertThat(tools.get(1).getContent()).isEqualTo("(no matches)");
            SessionResult other = engine.results.readValue();
            assertThat(other.getSessionId()).isEqualTo("o1");
            assertThat(other.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        }
    }

    @Test
    void shouldAnswerATooLargeWorkspaceCopyAsTheToolCallsErrorAndGoOn() throws Exception {
        // Given a sandbox work topic that accepts 64 KiB records, and a workspace of 100 KB
        WorkPools pools = WorkPools.fixed(Map.of(
                Topics.MODEL_POOL, Topics.MAX_WORK_RECORD_BYTES,
                Topics.TOOLS_POOL, Topics.MAX_WORK_RECORD_BYTES,
                Topics.SANDBOX_POOL, 64 * 1024));
        try (EngineDriver engine = new EngineDriver(config(), pools, StepFaults.NONE)) {
            engine.register(agent("coder", List.of("write_file", "bash")));
            engine.tasks.pipeInput("b1", task("b1", "coder", "x"));
            engine.workResults.pipeInput(
                    "b1",
                    modelReply(
                            engine.nextModelCall(),
                            "",
                            call(
                                    "w",
                                    "write_file",
                                    "{\"path\":\"big.txt\",\"content\":\"" + "z".repeat(100_000) + "\"}")));

            // When the model runs bash, whose call carries the workspace
            engine.workResults.pipeInput(
                    "b1", modelReply(engine.nextModelCall(), "", call("b", "bash", "{\"command\":\"ls\"}")));

            // Then nothing goes to the sandbox topic, the model sees why, and the session goes on
            assertThat(engine.sandboxWork.isEmpty()).isTrue();
            Message shown =
                    engine.modelCall(engine.nextModelCall()).getMessages().getLast();
            assertThat(shown.getIsError()).isTrue();
            assertThat(shown.getContent())
                    .contains("not run")
                    .contains("pool sandbox")
                    .contains("delete files you no longer need");
        }
    }

    @Test
    void shouldStartTheJournalWithSessionStartedEvenWhenTheInputIsKeptAsAFile() throws Exception {
        try (EngineDriver engine = new EngineDriver(config())) {
            engine.register(agent("reader", List.of()));

            engine.tasks.pipeInput("i1", task("i1", "reader", "x".repeat(EngineConfig.DEFAULT_MAX_CONTENT_CHARS + 1)));

            List<SessionEvent> events = engine.allEvents();
            assertThat(events.get(0).getEvent()).isInstanceOf(SessionStarted.class);
            assertThat(((SessionStarted) events.get(0).getEvent()).getInput())
                    .contains("[truncated: 1 more characters");
            assertThat(events.get(1).getEvent()).isInstanceOf(FileWritten.class);
            assertThat(((FileWritten) events.get(1).getEvent()).getPath()).isEqualTo(".agentlog/outputs/input.txt");
        }
    }
}
