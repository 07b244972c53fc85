package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ChildEnded;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEvent;
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
    void shouldFanOutAListOfChildrenAndGatherTheirAnswersInOneResultOnceAllHaveEnded() {
        // Given a parent whose one call spawns three children, one of an agent that does not exist
        engine.tasks.pipeInput("p3", task("p3", "boss", "fan out"));
        engine.workResults.pipeInput(
                "p3",
                modelReply(
                        engine.nextModelCall(),
                        "",
                        call(
                                "c1",
                                "spawn_agent",
                                "{\"tasks\":[{\"agent\":\"helper\",\"input\":\"a\"},"
                                        + "{\"agent\":\"ghost\",\"input\":\"b\"},"
                                        + "{\"agent\":\"helper\",\"input\":\"c\"}]}")));
        List<TaskSubmitted> children = engine.tasksOut.readValuesToList();
        assertThat(children).extracting(TaskSubmitted::getSessionId).containsExactly("p3:w1", "p3:w2", "p3:w3");
        assertThat(children).extracting(TaskSubmitted::getDepth).containsOnly(1);

        // When they run (their tasks and answers travel through the topics), the first of the list ending last
        List<WorkRequest> turns = engine.modelWork.readValuesToList();
        engine.workResults.pipeInput("p3:w3", modelReply(EngineDriver.requestOf(turns, "p3:w3"), "answer c"));

        // Then the parent still waits, the ended children noted in its journal
        assertThat(engine.modelWork.isEmpty()).isTrue();
        assertThat(engine.allEvents())
                .extracting(SessionEvent::getEvent)
                .filteredOn(ChildEnded.class::isInstance)
                .extracting(e -> ((ChildEnded) e).getChildSessionId())
                .containsExactlyInAnyOrder("p3:w2", "p3:w3");

        // When the last child ends, the parent gets one result with all three answers, in the order asked
        engine.workResults.pipeInput("p3:w1", modelReply(EngineDriver.requestOf(turns, "p3:w1"), "answer a"));
        List<Message> results = engine.modelCall(engine.nextModelCall()).getMessages().stream()
                .filter(m -> m.getRole() == Role.TOOL)
                .toList();
        assertThat(results).singleElement().satisfies(m -> {
            assertThat(m.getToolCallId()).isEqualTo("c1");
            assertThat(m.getIsError()).isTrue();
            assertThat(m.getContent())
                    .containsSubsequence("3 sub-agents ended", "1. session p3:w1 completed", "answer a")
                    .containsSubsequence("2. session p3:w2 failed", "ghost")
                    .containsSubsequence("3. session p3:w3 completed", "answer c");
        });
    }

    @Test
    void shouldRefuseToSpawnPastTheDepthLimitAndSayWhy() {
        // Given a session as deep in a tree of sub-agents as they may go
        engine.tasks.pipeInput(
                "deep",
                TaskSubmitted.newBuilder(task("deep", "boss", "go deeper"))
                        .setDepth(4)
                        .build());

        // When its model spawns a child
        engine.workResults.pipeInput(
                "deep",
                modelReply(
                        engine.nextModelCall(),
                        "",
                        call("c1", "spawn_agent", "{\"agent\":\"helper\",\"input\":\"x\"}")));

        // Then no child starts and the model sees why
        assertThat(engine.tasksOut.isEmpty()).isTrue();
        assertThat(engine.modelCall(engine.nextModelCall()).getMessages())
                .filteredOn(m -> m.getRole() == Role.TOOL)
                .singleElement()
                .satisfies(m -> assertThat(m.getContent()).contains("nest at most 4 deep"));
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
