package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code spawn_agent}: child sessions whose ends answer their parent's calls. */
class SubAgentsTest {

    private EngineDriver engine;

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
        AgentDefinition boss = agent("boss", List.of("spawn_agent"));
        engine.register(AgentDefinition.newBuilder(boss)
                .setLimits(Limits.newBuilder(boss.getLimits())
                        .setMaxSteps(10)
                        .setMaxTokens(1_000)
                        .build())
                .build());
        engine.register(agent("helper", List.of()));
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldRunTwoChildrenInParallelWithCarvedBudgetsAndGiveTheParentTheirAnswersAndFailures() {
        // Given a parent whose turn spawns a helper and an agent that does not exist
        engine.tasks.pipeInput("p1", task("p1", "boss", "delegate"));
        WorkRequest turn = engine.nextModelCall();
        engine.workResults.pipeInput(
                "p1",
                modelReply(
                        turn,
                        "",
                        call("c1", "spawn_agent", "{\"agent\":\"helper\",\"input\":\"add 2 and 40\"}"),
                        call("c2", "spawn_agent", "{\"agent\":\"ghost\",\"input\":\"boo\"}")));

        // Then each child's task names its parent, with what is left of the parent's token budget (1,000 - 15)
        List<TaskSubmitted> children = engine.tasksOut.readValuesToList();
        assertThat(children).extracting(TaskSubmitted::getSessionId).containsExactly("p1:w1", "p1:w2");
        assertThat(children).allSatisfy(child -> {
            assertThat(child.getParentSessionId()).isEqualTo("p1");
            assertThat(child.getBudget().getMaxTokens()).isEqualTo(985L);
        });
        assertThat(children.getFirst().getParentWorkId()).isEqualTo("w1");

        // When the children run (the tasks come back from the topic, as they would from Kafka)
        children.forEach(child -> engine.tasks.pipeInput(child.getSessionId(), child));
        WorkRequest helperTurn = engine.nextModelCall();
        assertThat(helperTurn.getSessionId()).isEqualTo("p1:w1");
        engine.workResults.pipeInput("p1:w1", modelReply(helperTurn, "42"));
        List<SessionResult> childResults = engine.results.readValuesToList();
        assertThat(childResults)
                .extracting(SessionResult::getSessionId, SessionResult::getStatus)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("p1:w2", ResultStatus.FAILED),
                        org.assertj.core.groups.Tuple.tuple("p1:w1", ResultStatus.COMPLETED));

        // Then each child's end is a result for the parent's call, which the parent takes like a tool's
        List<WorkResult> answers = engine.workResultsOut.readValuesToList();
        assertThat(answers).extracting(WorkResult::getSessionId).containsOnly("p1");
        answers.forEach(answer -> engine.workResults.pipeInput("p1", answer));
        WorkRequest next = engine.nextModelCall();
        List<Message> tools = engine.modelCall(next).getMessages().stream()
                .filter(m -> m.getRole() == Role.TOOL)
                .toList();
        assertThat(tools)
                .filteredOn(m -> m.getToolCallId().equals("c1"))
                .singleElement()
                .satisfies(m -> {
                    assertThat(m.getContent()).isEqualTo("42");
                    assertThat(m.getIsError()).isFalse();
                });
        assertThat(tools)
                .filteredOn(m -> m.getToolCallId().equals("c2"))
                .singleElement()
                .satisfies(m -> {
                    assertThat(m.getContent())
                            .contains("child session p1:w2")
                            .contains("FAILED")
                            .contains("ghost");
                    assertThat(m.getIsError()).isTrue();
                });
        engine.workResults.pipeInput("p1", modelReply(next, "the helper says 42"));
        SessionResult parent = engine.results.readValue();
        assertThat(parent.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        // the helper's tokens count in the parent's usage: 2 parent turns + 1 helper turn, 15 tokens each
        assertThat(parent.getUsage().getInputTokens() + parent.getUsage().getOutputTokens())
                .isEqualTo(45);
    }

    @Test
    void shouldCancelRunningChildrenWhenTheParentIsCancelled() {
        engine.tasks.pipeInput("p2", task("p2", "boss", "delegate"));
        engine.workResults.pipeInput(
                "p2",
                modelReply(
                        engine.nextModelCall(),
                        "",
                        call("c1", "spawn_agent", "{\"agent\":\"helper\",\"input\":\"take your time\"}")));
        TaskSubmitted child = engine.tasksOut.readValue();
        engine.tasks.pipeInput(child.getSessionId(), child);

        // When the parent is cancelled while its child runs
        engine.control.pipeInput(
                "p2",
                ControlCommand.newBuilder()
                        .setSessionId("p2")
                        .setType(ControlType.CANCEL)
                        .setIssuedAt(Instant.EPOCH)
                        .build());

        // Then a cancel goes to the child, which ends CANCELLED when it arrives
        ControlCommand cancel = engine.controlOut.readValue();
        assertThat(cancel.getSessionId()).isEqualTo("p2:w1");
        assertThat(cancel.getType()).isEqualTo(ControlType.CANCEL);
        assertThat(cancel.getMessage()).contains("parent session p2 ended CANCELLED");
        engine.control.pipeInput("p2:w1", cancel);
        assertThat(engine.results.readValuesToList())
                .extracting(SessionResult::getSessionId, SessionResult::getStatus)
                .contains(org.assertj.core.groups.Tuple.tuple("p2:w1", ResultStatus.CANCELLED));
    }
}
