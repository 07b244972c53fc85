package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.engine.session.SessionFold;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkProgress;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;

/**
 * The journal is the truth: after every input, folding the session's events up to the last one gives exactly what
 * the stores hold (state record, conversation, workspace files, blob references, timers).
 */
class JournalFoldTest {

    private static final String SESSION = "fold-1";

    private final List<SessionEvent> journal = new ArrayList<>();
    private final Map<String, byte[]> blobs = new HashMap<>();

    @Test
    void shouldFoldTheJournalToTheStoresAfterEveryInput() throws Exception {
        EngineConfig config = EngineConfig.defaults("unused:9092", EngineDriver.tempDir()).toBuilder()
                .inlineFileBytes(64)
                .maxContentChars(300)
                .retention(Duration.ofMinutes(1))
                .build();
        try (EngineDriver engine = new EngineDriver(config)) {
            TestOutputTopic<String, byte[]> blobTopic = engine.driver.createOutputTopic(
                    Topics.BLOBS.name(),
                    Serdes.String().deserializer(),
                    Serdes.ByteArray().deserializer());
            engine.register(agent(
                    "folder", List.of("write_file", "edit_file", "read_file", "grep", "list_files", "noop", "bash")));

            // a long input: capped, its full text a file
            engine.tasks.pipeInput(SESSION, task(SESSION, "folder", "i".repeat(400)));
            check(engine, blobTopic, config);

            // inline writes (one inline in its event, one by hash on agentlog.blobs), a worker tool, sandboxed code
            WorkRequest first = engine.nextModelCall();
            engine.workResults.pipeInput(
                    SESSION,
                    modelReply(
                            first,
                            "",
                            call("a", "write_file", "{\"path\":\"small.txt\",\"content\":\"hi\"}"),
                            call("b", "write_file", "{\"path\":\"big.txt\",\"content\":\"" + "b".repeat(200) + "\"}"),
                            call("c", "noop", "{}"),
                            call("d", "bash", "{\"command\":\"true\"}")));
            check(engine, blobTopic, config);

            engine.control.pipeInput(SESSION, steer("also this"));
            check(engine, blobTopic, config);

            engine.workResults.pipeInput(SESSION, toolResult(engine.toolWork.readValue(), "o".repeat(500)));
            check(engine, blobTopic, config);

            WorkRequest sandbox = engine.sandboxWork.readValue();
            engine.workResults.pipeInput(
                    SESSION,
                    withFiles(
                            sandbox,
                            new FileChange("small.txt", null),
                            new FileChange("big.txt", utf8("c".repeat(300))),
                            new FileChange("made/by/bash.txt", utf8("x"))));
            check(engine, blobTopic, config);

            // a second turn: an edit, a worker call that times out, and a model call its worker reports delayed
            engine.workResults.pipeInput(
                    SESSION,
                    modelReply(
                            engine.nextModelCall(),
                            "t".repeat(400),
                            call(
                                    "e",
                                    "edit_file",
                                    "{\"path\":\"big.txt\",\"old_string\":\"ccc\",\"new_string\":\"d\"}"),
                            call("f", "noop", "{}")));
            check(engine, blobTopic, config);
            engine.driver.advanceWallClockTime(Duration.ofMinutes(2));
            check(engine, blobTopic, config);

            WorkRequest last = engine.nextModelCall();
            engine.workResults.pipeInput(SESSION, delayed(last, Instant.now().plusSeconds(600)));
            check(engine, blobTopic, config);

            engine.workResults.pipeInput(SESSION, modelReply(last, "done"));
            check(engine, blobTopic, config);
            assertThat(engine.results.readValue().getStatus()).isEqualTo(ResultStatus.COMPLETED);
            assertThat(journal).extracting(SessionEvent::getEvent).hasAtLeastOneElementOfType(FileWritten.class);
            assertThat(blobs).isNotEmpty();

            // retention: the session's entries are deleted
            engine.driver.advanceWallClockTime(Duration.ofMinutes(2));
            StoreSnapshot gone = StoreSnapshot.of(engine.driver, SESSION);
            assertThat(gone.state()).isNull();
            assertThat(gone.history()).isEmpty();
            assertThat(gone.files()).isEmpty();
            assertThat(gone.blobs()).isEmpty();
            assertThat(gone.timers()).isEmpty();
            assertThat(blobTopic.readKeyValuesToList()).allMatch(kv -> kv.value == null);
        }
    }

    @Test
    void shouldFoldCallsThatWaitForHumansOrForTimeToTheStoresAfterEveryInput() throws Exception {
        EngineConfig config = EngineConfig.defaults("unused:9092", EngineDriver.tempDir());
        try (EngineDriver engine = new EngineDriver(config)) {
            TestOutputTopic<String, byte[]> blobTopic = engine.driver.createOutputTopic(
                    Topics.BLOBS.name(),
                    Serdes.String().deserializer(),
                    Serdes.ByteArray().deserializer());
            AgentDefinition base = agent("waiter", List.of("ask_human", "sleep", "noop"));
            ToolSpec guarded = ToolSpec.newBuilder(base.getTools().get(2))
                    .setName("guarded")
                    .setRequiresApproval(true)
                    .build();
            List<ToolSpec> tools = new java.util.ArrayList<>(base.getTools());
            tools.add(guarded);
            engine.register(AgentDefinition.newBuilder(base).setTools(tools).build());
            engine.tasks.pipeInput(SESSION, task(SESSION, "waiter", "wait for people and time"));
            check(engine, blobTopic, config);

            // a question, a sleep, a call awaiting approval and one that runs, all in one turn
            engine.workResults.pipeInput(
                    SESSION,
                    modelReply(
                            engine.nextModelCall(),
                            "",
                            call("q", "ask_human", "{\"question\":\"ok?\"}"),
                            call("z", "sleep", "{\"seconds\":60}"),
                            call("g", "guarded", "{}"),
                            call("n", "noop", "{}")));
            check(engine, blobTopic, config);
            engine.workResults.pipeInput(SESSION, toolResult(engine.toolWork.readValue(), "ran"));
            check(engine, blobTopic, config);
            engine.control.pipeInput(SESSION, control(ControlType.ANSWER, null, "yes"));
            check(engine, blobTopic, config);
            engine.control.pipeInput(SESSION, control(ControlType.APPROVE, "g", null));
            check(engine, blobTopic, config);
            engine.workResults.pipeInput(SESSION, toolResult(engine.toolWork.readValue(), "guarded ran"));
            check(engine, blobTopic, config);
            engine.driver.advanceWallClockTime(Duration.ofMinutes(2));
            check(engine, blobTopic, config);
            engine.workResults.pipeInput(SESSION, modelReply(engine.nextModelCall(), "done"));
            check(engine, blobTopic, config);
            assertThat(engine.results.readValue().getStatus()).isEqualTo(ResultStatus.COMPLETED);
        }
    }

    private static ControlCommand control(ControlType type, String toolCallId, String message) {
        return ControlCommand.newBuilder()
                .setSessionId(SESSION)
                .setType(type)
                .setToolCallId(toolCallId)
                .setMessage(message)
                .setIssuedAt(Instant.EPOCH)
                .build();
    }

    private void check(EngineDriver engine, TestOutputTopic<String, byte[]> blobTopic, EngineConfig config) {
        journal.addAll(engine.events.readValuesToList());
        blobTopic.readKeyValuesToList().forEach(kv -> blobs.put(kv.key, kv.value));
        var folded = SessionFold.replay(
                SESSION, journal, (session, hash) -> Optional.ofNullable(blobs.get(session + "/" + hash)));
        assertThat(StoreSnapshot.of(engine.driver, SESSION))
                .as("stores after event %d", journal.getLast().getSeq())
                .isEqualTo(StoreSnapshot.of(folded, config));
    }

    private static ControlCommand steer(String text) {
        return ControlCommand.newBuilder()
                .setSessionId(SESSION)
                .setType(ControlType.STEER)
                .setMessage(text)
                .build();
    }

    private static ByteBuffer utf8(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static WorkResult withFiles(WorkRequest request, FileChange... changes) {
        WorkResult result = toolResult(request, "ran");
        result.setResult(ToolOutput.newBuilder()
                .setContent("ran")
                .setFileChanges(List.of(changes))
                .build());
        return result;
    }

    static WorkResult delayed(WorkRequest request, Instant expectedBy) {
        return WorkResult.newBuilder()
                .setWorkId(request.getWorkId())
                .setSessionId(request.getSessionId())
                .setOutcome(WorkOutcome.DELAYED)
                .setResult(WorkProgress.newBuilder()
                        .setReason("HTTP 429, Retry-After 60 s")
                        .setAttempt(2)
                        .setRetryAt(expectedBy.minusSeconds(300))
                        .setExpectedBy(expectedBy)
                        .build())
                .setUsage(new io.agentlog.schemas.avro.Usage(0L, 0L, 0L, 0L))
                .build();
    }
}
