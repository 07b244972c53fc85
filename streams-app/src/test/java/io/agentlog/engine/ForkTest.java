package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.agentlog.engine.session.SessionFold;
import io.agentlog.schemas.avro.ChildEnded;
import io.agentlog.schemas.avro.Fork;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionForked;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.WorkRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code agentlog fork}: a task carrying another session's journal up to a seq starts a session from its fold. Nothing
 * before the seq runs again (no model call is repeated), work in flight at the seq is requested again, and a copy that
 * is not a journal ends the fork FAILED with the reason.
 */
class ForkTest {

    private EngineDriver engine;
    private final List<SessionEvent> source = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
        engine.register(agent("forker", List.of("noop", "write_file")));
        // Given a session that called a tool, wrote a file and answered
        engine.tasks.pipeInput("s1", task("s1", "forker", "count the files"));
        engine.workResults.pipeInput(
                "s1",
                modelReply(
                        engine.nextModelCall(),
                        "looking",
                        call("c1", "noop", "{}"),
                        call("c2", "write_file", "{\"path\":\"notes.txt\",\"content\":\"three\"}")));
        engine.workResults.pipeInput("s1", toolResult(engine.toolWork.readValue(), "3 files"));
        engine.workResults.pipeInput("s1", modelReply(engine.nextModelCall(), "There are 3 files."));
        assertThat(engine.results.readValue().getStatus()).isEqualTo(ResultStatus.COMPLETED);
        source.addAll(engine.allEvents());
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldGoOnFromTheChosenEventWithTheHistoryAndWorkspaceAndRepeatNoModelCall() {
        // When the session is forked after the noop's result, with a new instruction
        long atSeq = seqOf(
                e -> e instanceof ToolCompleted done && done.getToolCallId().equals("c1"));
        engine.tasks.pipeInput("f1", fork("f1", atSeq, "Count them again, but in French."));

        // Then the fork asks the model once, with the source's conversation up to there and the new message
        WorkRequest next = engine.nextModelCall();
        assertThat(engine.modelWork.isEmpty()).isTrue();
        assertThat(engine.toolWork.isEmpty()).isTrue();
        List<Message> messages = engine.modelCall(next).getMessages();
        assertThat(messages)
                .extracting(Message::getRole, Message::getContent)
                .containsSubsequence(
                        tuple(Role.USER, "count the files"),
                        tuple(Role.ASSISTANT, "looking"),
                        tuple(Role.USER, "Count them again, but in French."));
        assertThat(messages).filteredOn(m -> m.getRole() == Role.TOOL).hasSize(2);
        assertThat(messages).noneMatch(m -> m.getContent().contains("There are 3 files"));
        List<SessionEvent> fork = engine.allEvents();
        assertThat(fork.getFirst().getEvent()).isInstanceOf(SessionStarted.class);
        assertThat(fork)
                .extracting(SessionEvent::getEvent)
                .filteredOn(SessionForked.class::isInstance)
                .singleElement()
                .satisfies(e -> {
                    assertThat(((SessionForked) e).getSourceSessionId()).isEqualTo("s1");
                    assertThat(((SessionForked) e).getAtSeq()).isEqualTo(atSeq);
                });
        // its turn numbering goes on (a scripted model answers turn 1 next, not turn 0 again)
        assertThat(engine.modelCall(next).getTurn()).isEqualTo(1);
        assertThat(file("f1", "notes.txt")).contains("three");
        assertStoresAreTheFold("f1", fork);

        // When the fork's model answers, it completes on its own; the source is untouched
        engine.workResults.pipeInput("f1", modelReply(next, "Il y a 3 fichiers."));
        SessionResult result = engine.results.readValue();
        assertThat(result.getSessionId()).isEqualTo("f1");
        assertThat(result.getOutput()).isEqualTo("Il y a 3 fichiers.");
        assertThat(result.getParentSessionId()).isNull();
    }

    @Test
    void shouldRequestWorkThatWasInFlightAtTheChosenEventAgain() {
        // When the session is forked right after the noop was sent to its worker (no result yet)
        long atSeq = seqOf(e -> e instanceof ToolRequested requested && "c1".equals(requested.getToolCallId()));
        engine.tasks.pipeInput("f2", fork("f2", atSeq, ""));

        // Then the fork sends the call again (and the write, cut off by the seq, runs inline) and waits for it
        List<WorkRequest> sent = engine.toolWork.readValuesToList();
        assertThat(sent).singleElement().satisfies(w -> {
            assertThat(w.getSessionId()).isEqualTo("f2");
            assertThat(((ToolInvocation) w.getRequest()).getToolCallId()).isEqualTo("c1");
        });
        assertThat(engine.modelWork.isEmpty()).isTrue();
        List<SessionEvent> fork = engine.allEvents();
        assertThat(fork)
                .extracting(SessionEvent::getEvent)
                .filteredOn(ModelRequested.class::isInstance)
                .hasSize(1); // the first turn's request, copied; its answer is in the copy
        assertStoresAreTheFold("f2", fork);

        // When its result comes, the next model turn is requested
        engine.workResults.pipeInput("f2", toolResult(sent.getFirst(), "4 files"));
        assertThat(engine.modelCall(engine.nextModelCall()).getMessages())
                .anyMatch(m -> m.getRole() == Role.TOOL && m.getContent().equals("4 files"));
    }

    @Test
    void shouldStartAFanOutAgainWhenNotAllItsChildrenWereBackAtTheChosenEvent() {
        // Given a session whose one call started two children, of which one ended
        engine.register(agent("boss", List.of("spawn_agent")));
        engine.register(agent("helper", List.of()));
        engine.tasks.pipeInput("p1", task("p1", "boss", "fan out"));
        engine.workResults.pipeInput(
                "p1",
                modelReply(
                        engine.nextModelCall(),
                        "",
                        call(
                                "c1",
                                "spawn_agent",
                                "{\"tasks\":[{\"agent\":\"helper\",\"input\":\"a\"},"
                                        + "{\"agent\":\"helper\",\"input\":\"b\"}]}")));
        List<WorkRequest> childTurns = engine.modelWork.readValuesToList();
        engine.workResults.pipeInput("p1:w2", modelReply(EngineDriver.requestOf(childTurns, "p1:w2"), "answer b"));
        List<SessionEvent> parent = engine.allEvents().stream()
                .filter(e -> e.getSessionId().equals("p1"))
                .toList();
        assertThat(parent).extracting(SessionEvent::getEvent).hasAtLeastOneElementOfType(ChildEnded.class);
        engine.tasksOut.readValuesToList();

        // When the parent is forked after that child's end
        TaskSubmitted fork = TaskSubmitted.newBuilder(task("f5", "boss", ""))
                .setFork(new Fork("p1", parent.getLast().getSeq(), parent, Map.of()))
                .build();
        engine.tasks.pipeInput("f5", fork);

        // Then the fork starts both children of the call again, as its own, and waits for them
        assertThat(engine.tasksOut.readValuesToList())
                .extracting(TaskSubmitted::getSessionId, TaskSubmitted::getParentSessionId)
                .containsExactly(tuple("f5:w3", "f5"), tuple("f5:w4", "f5"));
        List<SessionEvent> forked = engine.allEvents().stream()
                .filter(e -> e.getSessionId().equals("f5"))
                .toList();
        assertStoresAreTheFold("f5", forked);
    }

    @Test
    void shouldEndAForkWhoseCopyIsNoJournalFailedWithTheReason() {
        // Given a copy with a gap, and one whose file content does not match its hash
        List<SessionEvent> gap = new ArrayList<>(source.subList(0, 4));
        gap.remove(2);
        TaskSubmitted withGap = fork("f3", 3, "");
        withGap.getFork().setEvents(gap);
        withGap.getFork().setAtSeq(gap.getLast().getSeq());
        TaskSubmitted ofItself = fork("s1", 2, "");

        // When they are submitted
        engine.tasks.pipeInput("f3", withGap);
        engine.tasks.pipeInput("s1", ofItself);

        // Then the fork with the gap ends FAILED and says why; the source is left alone (a duplicate task)
        List<SessionResult> results = engine.results.readValuesToList();
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.getSessionId()).isEqualTo("f3");
            assertThat(r.getStatus()).isEqualTo(ResultStatus.FAILED);
            assertThat(r.getError()).contains("cannot fork session s1").contains("without gaps");
        });
        assertThat(engine.modelWork.isEmpty()).isTrue();
    }

    @Test
    void shouldRefuseFileContentThatDoesNotMatchItsHash() {
        // Given a source journal whose FileWritten names a blob, and a fork that carries other bytes under its hash
        String hash = "0".repeat(64);
        List<SessionEvent> events = new ArrayList<>(source.subList(0, 1));
        events.add(new SessionEvent(
                "s1",
                1L,
                EngineDriver.START,
                io.agentlog.schemas.avro.FileWritten.newBuilder()
                        .setPath("big.bin")
                        .setSize(4)
                        .setContentHash(hash)
                        .build()));
        TaskSubmitted forged = fork("f4", 1, "");
        forged.setFork(new Fork("s1", 1L, events, Map.of(hash, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}))));

        // When it is submitted
        engine.tasks.pipeInput("f4", forged);

        // Then the fork ends FAILED with the reason and nothing of the forged file is kept
        SessionResult result = engine.results.readValue();
        assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
        assertThat(result.getError()).contains("does not match");
        assertThat(file("f4", "big.bin")).isEmpty();
    }

    private TaskSubmitted fork(String id, long atSeq, String message) {
        return TaskSubmitted.newBuilder(task(id, "forker", message))
                .setFork(new Fork("s1", atSeq, new ArrayList<>(source.subList(0, (int) atSeq + 1)), Map.of()))
                .build();
    }

    private long seqOf(Predicate<Object> event) {
        return source.stream()
                .filter(e -> event.test(e.getEvent()))
                .findFirst()
                .orElseThrow()
                .getSeq();
    }

    private Optional<String> file(String session, String path) {
        KeyValueStore<String, byte[]> store = engine.driver.getKeyValueStore(EngineTopology.WORKSPACE_STORE);
        return Optional.ofNullable(store.get(session + "/" + path)).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    private void assertStoresAreTheFold(String session, List<SessionEvent> journal) {
        var folded = SessionFold.replay(session, journal, (s, hash) -> Optional.empty());
        assertThat(StoreSnapshot.of(engine.driver, session)).isEqualTo(StoreSnapshot.of(folded, engine.config));
    }
}
