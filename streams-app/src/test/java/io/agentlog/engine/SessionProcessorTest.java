package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.WorkRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SessionProcessorTest {

    private EngineDriver engine;

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldFanOutParallelToolCallsAndWaitForAllBeforeTheNextTurn() {
        // Given an agent with a worker tool
        engine.register(agent("helper", List.of("noop", "write_file")));
        engine.tasks.pipeInput("s1", task("s1", "helper", "do two things"));

        // When the model asks for two tool calls at once
        WorkRequest first = engine.nextModelCall();
        assertThat(engine.modelCall(first).getMessages())
                .extracting(Message::getRole)
                .containsExactly(Role.SYSTEM, Role.USER);
        engine.workResults.pipeInput(
                "s1", modelReply(first, "", call("a", "noop", "{}"), call("b", "noop", "{\"x\":1}")));

        // Then both go out in parallel, and no model turn until both are back
        List<WorkRequest> tools = engine.toolWork.readValuesToList();
        assertThat(tools).hasSize(2);
        assertThat(tools)
                .extracting(r -> ((ToolInvocation) r.getRequest()).getToolCallId())
                .containsExactly("a", "b");
        assertThat(((ToolInvocation) tools.get(0).getRequest()).getIdempotencyKey())
                .isEqualTo("s1/" + tools.get(0).getWorkId());
        engine.workResults.pipeInput("s1", toolResult(tools.get(1), "done b"));
        assertThat(engine.modelWork.isEmpty()).isTrue();
        engine.workResults.pipeInput("s1", toolResult(tools.get(0), "done a"));

        WorkRequest second = engine.nextModelCall();
        ModelCall secondCall = engine.modelCall(second);
        assertThat(secondCall.getTurn()).isEqualTo(1);
        assertThat(secondCall.getMessages())
                .extracting(Message::getRole)
                .containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.TOOL, Role.TOOL);
        assertThat(secondCall.getMessages().get(3).getContent()).isEqualTo("done b");

        engine.workResults.pipeInput("s1", modelReply(second, "all done"));
        SessionResult result = engine.results.readValue();
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("all done");
        assertThat(result.getSteps()).isEqualTo(2);
        assertThat(result.getToolCalls()).isEqualTo(2);
        assertThat(result.getUsage().getInputTokens()).isEqualTo(20);
        assertThat(engine.results.isEmpty()).isTrue();

        List<SessionEvent> events = engine.allEvents();
        assertThat(events)
                .extracting(SessionEvent::getSeq)
                .containsExactlyElementsOf(
                        LongStream.range(0, events.size()).boxed().toList());
        assertThat(events.getLast().getEvent()).isInstanceOf(SessionEnded.class);
    }

    @Test
    void shouldDropDuplicateAndUnknownWorkResults() {
        engine.register(agent("helper", List.of("noop")));
        engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
        WorkRequest model = engine.nextModelCall();
        engine.workResults.pipeInput("s1", modelReply(model, "", call("a", "noop", "{}"), call("b", "noop", "{}")));
        List<WorkRequest> tools = engine.toolWork.readValuesToList();

        // When the same result arrives twice, and a result for a work id that never existed
        engine.workResults.pipeInput("s1", toolResult(tools.get(0), "once"));
        engine.workResults.pipeInput("s1", toolResult(tools.get(0), "twice"));
        var bogus = toolResult(tools.get(0), "bogus");
        bogus.setWorkId("w999");
        engine.workResults.pipeInput("s1", bogus);

        // Then the session still waits for the other call, and its history has one result
        assertThat(engine.modelWork.isEmpty()).isTrue();
        engine.workResults.pipeInput("s1", toolResult(tools.get(1), "other"));
        ModelCall next = engine.modelCall(engine.nextModelCall());
        assertThat(next.getMessages())
                .filteredOn(m -> m.getRole() == Role.TOOL)
                .extracting(Message::getContent)
                .containsExactly("once", "other");
    }

    @Test
    void shouldFailTheSessionWhenTheAgentIsUnknown() {
        engine.tasks.pipeInput("s1", task("s1", "nobody", "hello"));

        SessionResult result = engine.results.readValue();
        assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
        assertThat(result.getError()).contains("unknown agent 'nobody'");
        assertThat(engine.modelWork.isEmpty()).isTrue();

        // and a duplicate of the task does not produce a second result
        engine.tasks.pipeInput("s1", task("s1", "nobody", "hello"));
        assertThat(engine.results.isEmpty()).isTrue();
    }

    @Test
    void shouldPinTheNewestVersionAndKeepItWhenANewOneArrives() {
        engine.register(agent("helper", 1, List.of(), new Limits()));
        engine.register(agent("helper", 2, List.of("noop"), new Limits()));
        engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
        WorkRequest model = engine.nextModelCall();
        assertThat(engine.modelCall(model).getTools())
                .extracting(t -> t.getName())
                .containsExactly("noop");

        engine.register(agent("helper", 3, List.of(), new Limits()));
        engine.workResults.pipeInput("s1", modelReply(model, "", call("a", "noop", "{}")));
        assertThat(engine.toolWork.readValuesToList()).hasSize(1);
    }

    @Test
    void shouldAnswerTheModelWhenItCallsAnUnknownToolOrSendsBadArguments() {
        engine.register(agent("helper", List.of("read_file")));
        engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
        WorkRequest model = engine.nextModelCall();

        engine.workResults.pipeInput(
                "s1", modelReply(model, "", call("a", "rm_rf", "{}"), call("b", "read_file", "not json")));

        ModelCall next = engine.modelCall(engine.nextModelCall());
        List<Message> toolMessages = next.getMessages().stream()
                .filter(m -> m.getRole() == Role.TOOL)
                .toList();
        assertThat(toolMessages).allMatch(Message::getIsError);
        assertThat(toolMessages.get(0).getContent()).contains("unknown tool 'rm_rf'");
        assertThat(toolMessages.get(1).getContent()).contains("invalid arguments for read_file");
    }

    @Test
    void shouldRunWorkspaceToolsInlineAndKeepTheFiles() {
        engine.register(agent("writer", List.of("write_file", "read_file", "list_files")));
        engine.tasks.pipeInput("s1", task("s1", "writer", "x"));

        engine.workResults.pipeInput(
                "s1",
                modelReply(
                        engine.nextModelCall(),
                        "",
                        call("a", "write_file", "{\"path\":\"notes/a.txt\",\"content\":\"hello\"}"),
                        call("b", "write_file", "{\"path\":\"../escape\",\"content\":\"x\"}")));
        engine.workResults.pipeInput(
                "s1",
                modelReply(
                        engine.nextModelCall(),
                        "",
                        call("c", "read_file", "{\"path\":\"./notes//a.txt\"}"),
                        call("d", "list_files", "{}")));

        List<Message> tools = engine.modelCall(engine.nextModelCall()).getMessages().stream()
                .filter(m -> m.getRole() == Role.TOOL)
                .toList();
        assertThat(tools.get(0).getContent()).isEqualTo("wrote 5 bytes to notes/a.txt");
        assertThat(tools.get(1).getIsError()).isTrue();
        assertThat(tools.get(1).getContent()).contains("must not contain '..'");
        assertThat(tools.get(2).getContent()).isEqualTo("hello");
        assertThat(tools.get(3).getContent()).isEqualTo("notes/a.txt\t5");
        assertThat(engine.toolWork.isEmpty()).isTrue();
    }

    @Test
    void shouldSkipUndecodableInputAndKeepGoing() {
        // The DLQ records that the deserialization handler returns are written by the real
        // producer; the end-to-end tests on a broker assert them. Here: the partition keeps flowing.
        engine.register(agent("helper", List.of()));

        engine.rawTasks.pipeInput("bad", new byte[] {1, 2, 3, 4});
        engine.rawTasks.pipeInput("bad-json", "{\"agent\": 42}".getBytes(StandardCharsets.UTF_8));
        engine.rawTasks.pipeInput("s2", "{\"agent\":\"helper\",\"input\":\"hi\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(engine.nextModelCall().getSessionId()).isEqualTo("s2");
        assertThat(engine.modelWork.isEmpty()).isTrue();
    }

    @Test
    void shouldRejectATaskWhoseKeyAndSessionIdDiffer() {
        engine.register(agent("helper", List.of()));

        engine.tasks.pipeInput("s1", task("other", "helper", "x"));

        var dead = engine.dlq.readRecord();
        assertThat(engine.dlqHeaders(dead).get(DlqHeaders.REASON)).contains("differ");
        assertThat(engine.dlqHeaders(dead).get(DlqHeaders.SOURCE_TOPIC)).isEqualTo("agentlog.tasks");
        assertThat(engine.modelWork.isEmpty()).isTrue();
    }

    @Test
    void shouldGiveAKeylessTaskASessionIdDerivedFromItsIdempotencyKey() {
        engine.register(agent("helper", List.of()));
        var keyless = task("", "helper", "x");
        keyless.setIdempotencyKey("order-42");

        engine.tasks.pipeInput((String) null, keyless);
        engine.tasks.pipeInput((String) null, keyless);

        var rekeyed = engine.tasksOut.readKeyValuesToList();
        assertThat(rekeyed).hasSize(2);
        assertThat(rekeyed.get(0).key).isEqualTo(rekeyed.get(1).key).isNotBlank();
        assertThat(rekeyed.get(0).value.getSessionId()).isEqualTo(rekeyed.get(0).key);

        // one key, one session: the two keyed tasks (read back by the engine) start it once
        String sessionId = rekeyed.get(0).key;
        assertThat(engine.modelWork.readValuesToList())
                .singleElement()
                .extracting(WorkRequest::getSessionId)
                .isEqualTo(sessionId);
        assertThat(engine.allEvents())
                .filteredOn(e -> e.getEvent() instanceof io.agentlog.schemas.avro.SessionStarted)
                .singleElement()
                .extracting(SessionEvent::getSessionId)
                .isEqualTo(sessionId);
    }

    @Test
    void shouldCancelAndIgnoreLateResults() {
        engine.register(agent("helper", List.of("noop")));
        engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
        WorkRequest model = engine.nextModelCall();

        engine.control.pipeInput(
                "s1",
                ControlCommand.newBuilder()
                        .setSessionId("s1")
                        .setType(ControlType.CANCEL)
                        .setMessage("user changed their mind")
                        .build());
        engine.workResults.pipeInput("s1", modelReply(model, "too late"));

        List<SessionResult> results = engine.results.readValuesToList();
        assertThat(results).hasSize(1);
        assertThat(results.get(0).getStatus()).isEqualTo(ResultStatus.CANCELLED);
        assertThat(results.get(0).getError()).contains("user changed their mind");

        // a control command for the finished session is rejected with the reason
        engine.control.pipeInput(
                "s1",
                ControlCommand.newBuilder()
                        .setSessionId("s1")
                        .setType(ControlType.STEER)
                        .setMessage("hello?")
                        .build());
        var dead = engine.dlq.readRecord();
        assertThat(engine.dlqHeaders(dead).get(DlqHeaders.REASON)).contains("already ended CANCELLED");
    }

    @Test
    void shouldShowASteerMessageToTheNextTurn() {
        engine.register(agent("helper", List.of("noop")));
        engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
        WorkRequest model = engine.nextModelCall();

        engine.control.pipeInput(
                "s1",
                ControlCommand.newBuilder()
                        .setSessionId("s1")
                        .setType(ControlType.STEER)
                        .setMessage("focus on tests")
                        .build());
        engine.workResults.pipeInput("s1", modelReply(model, "", call("a", "noop", "{}")));
        engine.workResults.pipeInput("s1", toolResult(engine.toolWork.readValue(), "ok"));

        List<Message> messages = engine.modelCall(engine.nextModelCall()).getMessages();
        assertThat(messages)
                .anyMatch(m -> m.getRole() == Role.USER && m.getContent().equals("focus on tests"));
    }

    @Test
    void shouldShowASteerThatArrivedDuringToolCallsAfterTheirResults() {
        engine.register(agent("helper", List.of("noop")));
        engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
        engine.workResults.pipeInput(
                "s1", modelReply(engine.nextModelCall(), "", call("a", "noop", "{}"), call("b", "noop", "{}")));
        List<WorkRequest> tools = engine.toolWork.readValuesToList();

        engine.workResults.pipeInput("s1", toolResult(tools.get(0), "ok a"));
        engine.control.pipeInput(
                "s1",
                ControlCommand.newBuilder()
                        .setSessionId("s1")
                        .setType(ControlType.STEER)
                        .setMessage("also check b")
                        .build());
        engine.workResults.pipeInput("s1", toolResult(tools.get(1), "ok b"));

        // the model sees the tool results right after its turn, then the steer (chat APIs require that order)
        assertThat(engine.modelCall(engine.nextModelCall()).getMessages())
                .extracting(Message::getRole)
                .containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.TOOL, Role.TOOL, Role.USER);
    }

    @Test
    void shouldEndWithBudgetExceededWhenTheStepBudgetIsSpent() {
        engine.register(agent("helper", List.of("noop")));
        var limited = task("s1", "helper", "x");
        limited.setBudget(new Budget(1, null, null, null));
        engine.tasks.pipeInput("s1", limited);

        engine.workResults.pipeInput("s1", modelReply(engine.nextModelCall(), "", call("a", "noop", "{}")));
        engine.workResults.pipeInput("s1", toolResult(engine.toolWork.readValue(), "ok"));

        SessionResult result = engine.results.readValue();
        assertThat(result.getStatus()).isEqualTo(ResultStatus.BUDGET_EXCEEDED);
        assertThat(result.getError()).contains("step budget spent");
        assertThat(engine.modelWork.isEmpty()).isTrue();
    }

    @Test
    void shouldTimeOutAToolCallAndLetTheModelContinue() {
        engine.register(agent("helper", List.of("noop")));
        engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
        engine.workResults.pipeInput("s1", modelReply(engine.nextModelCall(), "", call("a", "noop", "{}")));
        WorkRequest tool = engine.toolWork.readValue();

        engine.driver.advanceWallClockTime(Duration.ofSeconds(61));

        List<Message> messages = engine.modelCall(engine.nextModelCall()).getMessages();
        assertThat(messages.getLast().getContent()).startsWith("timed out after");
        assertThat(messages.getLast().getIsError()).isTrue();
        // and the late result is dropped
        engine.workResults.pipeInput("s1", toolResult(tool, "late"));
        assertThat(engine.modelWork.isEmpty()).isTrue();
        assertThat(engine.allEvents())
                .extracting(SessionEvent::getEvent)
                .filteredOn(ToolCompleted.class::isInstance)
                .hasSize(1);
    }

    @Test
    void shouldRejectControlForAnUnknownSession() {
        engine.control.pipeInput(
                "ghost",
                ControlCommand.newBuilder()
                        .setSessionId("ghost")
                        .setType(ControlType.CANCEL)
                        .build());
        var dead = engine.dlq.readRecord();
        assertThat(engine.dlqHeaders(dead).get(DlqHeaders.REASON)).isEqualTo("CANCEL for unknown session ghost");
    }
}
