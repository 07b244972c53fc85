package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ApprovalDecided;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.SessionStatus;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tools marked {@code requiresApproval}: the session parks until a human approves or denies each call. */
class ApprovalTest {

    private EngineDriver engine;

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
        ToolSpec deploy = ToolSpec.newBuilder(BuiltinTools.find("noop").orElseThrow())
                .setName("deploy")
                .setRequiresApproval(true)
                .build();
        ToolSpec write = ToolSpec.newBuilder(BuiltinTools.find("write_file").orElseThrow())
                .setRequiresApproval(true)
                .build();
        engine.register(AgentDefinition.newBuilder()
                .setName("careful")
                .setVersion(1)
                .setModel(ModelSpec.newBuilder().setProvider("scripted").build())
                .setSystemPrompt("You ask before you act.")
                .setTools(List.of(deploy, write, BuiltinTools.find("noop").orElseThrow()))
                .setLimits(new Limits())
                .build());
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldParkCallsThatRequireApprovalAndRunEachOnceApprovedOrAnswerItsDenial() {
        // Given a model turn with two calls that require approval and one that does not
        engine.tasks.pipeInput("s1", task("s1", "careful", "ship it"));
        WorkRequest turn = engine.nextModelCall();
        engine.workResults.pipeInput(
                "s1",
                modelReply(
                        turn,
                        "",
                        call("d1", "deploy", "{\"env\":\"prod\"}"),
                        call("w1", "write_file", "{\"path\":\"notes.txt\",\"content\":\"hi\"}"),
                        call("n1", "noop", "{}")));

        // Then only the free call runs; the session awaits approval of the other two, with no deadline of their own
        List<WorkRequest> sent = engine.toolWork.readValuesToList();
        assertThat(sent)
                .extracting(r -> ((ToolInvocation) r.getRequest()).getToolCallId())
                .containsExactly("n1");
        assertThat(engine.allEvents())
                .extracting(SessionEvent::getEvent)
                .filteredOn(ApprovalRequested.class::isInstance)
                .extracting(e -> ((ApprovalRequested) e).getToolCallId())
                .containsExactly("d1", "w1");
        engine.workResults.pipeInput("s1", toolResult(sent.getFirst(), "ok"));
        assertThat(state("s1").getStatus()).isEqualTo(SessionStatus.AWAITING_APPROVAL);
        engine.driver.advanceWallClockTime(Duration.ofDays(2));
        assertThat(engine.results.isEmpty()).isTrue();
        assertThat(engine.modelWork.isEmpty()).isTrue();

        // When a human approves the deploy with edited arguments
        engine.control.pipeInput("s1", control("s1", ControlType.APPROVE, "d1", null, "{\"env\":\"staging\"}"));

        // Then it runs with them, and the session still waits for the other call
        List<WorkRequest> deploys = engine.toolWork.readValuesToList();
        assertThat(deploys).hasSize(1);
        assertThat(((ToolInvocation) deploys.getFirst().getRequest()).getArguments())
                .isEqualTo("{\"env\":\"staging\"}");
        assertThat(state("s1").getStatus()).isEqualTo(SessionStatus.AWAITING_APPROVAL);
        engine.workResults.pipeInput("s1", toolResult(deploys.getFirst(), "deployed to staging"));
        assertThat(engine.modelWork.isEmpty()).isTrue();

        // When the write is denied (the only call left, so no id is needed)
        engine.control.pipeInput("s1", control("s1", ControlType.DENY, null, "not that file", null));

        // Then it never runs, the model's next turn sees the denial as its result, and no file was written
        WorkRequest next = engine.nextModelCall();
        List<Message> messages = engine.modelCall(next).getMessages();
        assertThat(messages)
                .filteredOn(m -> m.getRole() == Role.TOOL && "w1".equals(m.getToolCallId()))
                .singleElement()
                .satisfies(m -> {
                    assertThat(m.getContent()).contains("denied").contains("not that file");
                    assertThat(m.getIsError()).isTrue();
                });
        assertThat(messages)
                .filteredOn(m -> m.getRole() == Role.TOOL && "d1".equals(m.getToolCallId()))
                .singleElement()
                .satisfies(m -> assertThat(m.getContent()).isEqualTo("deployed to staging"));
        assertThat(engine.toolWork.isEmpty()).isTrue();
        assertThat(engine.allEvents())
                .extracting(SessionEvent::getEvent)
                .filteredOn(ApprovalDecided.class::isInstance)
                .extracting(e -> ((ApprovalDecided) e).getApproved())
                .containsExactly(true, false);
        engine.workResults.pipeInput("s1", modelReply(next, "done"));
        assertThat(engine.results.readValue().getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(engine.dlq.isEmpty()).isTrue();
    }

    @Test
    void shouldDeadLetterApprovalsThatNameNoWaitingCallOrAreAmbiguous() {
        engine.tasks.pipeInput("s2", task("s2", "careful", "two deploys"));
        engine.control.pipeInput("s2", control("s2", ControlType.APPROVE, null, null, null));
        WorkRequest turn = engine.nextModelCall();
        engine.workResults.pipeInput(
                "s2", modelReply(turn, "", call("a", "deploy", "{\"env\":\"prod\"}"), call("b", "deploy", "{}")));

        // When approvals come without an id (two wait), for an unknown id, and with arguments that are no object
        engine.control.pipeInput("s2", control("s2", ControlType.APPROVE, null, null, null));
        engine.control.pipeInput("s2", control("s2", ControlType.DENY, "zzz", "no", null));
        engine.control.pipeInput("s2", control("s2", ControlType.APPROVE, "a", null, "[1,2]"));

        // Then each goes to the DLQ with the reason, and both calls still wait
        List<String> reasons = engine.dlq.readRecordsToList().stream()
                .map(r -> engine.dlqHeaders(r).get(DlqHeaders.REASON))
                .toList();
        assertThat(reasons).hasSize(4);
        assertThat(reasons.get(0)).contains("no tool call is awaiting approval");
        assertThat(reasons.get(1)).contains("names no tool call").contains("[a, b]");
        assertThat(reasons.get(2)).contains("zzz is not awaiting approval");
        assertThat(reasons.get(3)).contains("no JSON object");
        assertThat(state("s2").getPending()).hasSize(2);
        assertThat(engine.toolWork.isEmpty()).isTrue();

        // and an approval without edited arguments runs the call with the model's, kept in the session's state
        engine.control.pipeInput("s2", control("s2", ControlType.APPROVE, "a", null, null));
        assertThat(((ToolInvocation) engine.toolWork.readValue().getRequest()).getArguments())
                .isEqualTo("{\"env\":\"prod\"}");

        // and a cancel still ends the waiting session at once
        engine.control.pipeInput("s2", control("s2", ControlType.CANCEL, null, "changed my mind", null));
        assertThat(engine.results.readValue().getStatus()).isEqualTo(ResultStatus.CANCELLED);
    }

    private SessionState state(String sessionId) {
        KeyValueStore<String, SessionState> sessions = engine.driver.getKeyValueStore(EngineTopology.SESSIONS_STORE);
        return sessions.get(sessionId);
    }

    private static ControlCommand control(
            String sessionId, ControlType type, String toolCallId, String message, String arguments) {
        return ControlCommand.newBuilder()
                .setSessionId(sessionId)
                .setType(type)
                .setToolCallId(toolCallId)
                .setMessage(message)
                .setArguments(arguments)
                .setIssuedAt(Instant.EPOCH)
                .build();
    }
}
