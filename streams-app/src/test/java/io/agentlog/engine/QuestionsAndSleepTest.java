package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.HumanAnswered;
import io.agentlog.schemas.avro.HumanAsked;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.SessionStatus;
import io.agentlog.schemas.avro.SleepStarted;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine's own waiting tools: {@code ask_human} waits for a person's answer, {@code sleep} for a time. */
class QuestionsAndSleepTest {

    private EngineDriver engine;

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
        engine.register(agent("patient", List.of("ask_human", "sleep", "noop")));
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldWaitForAHumansAnswerAndGiveItToTheModelAsTheCallsResult() {
        // Given a model that asks a human
        engine.tasks.pipeInput("q1", task("q1", "patient", "plan the release"));
        WorkRequest turn = engine.nextModelCall();
        engine.workResults.pipeInput(
                "q1", modelReply(turn, "", call("ask", "ask_human", "{\"question\":\"Which day should we ship?\"}")));

        // Then the session waits on the human, for days, sending nothing
        assertThat(state("q1").getStatus()).isEqualTo(SessionStatus.AWAITING_ANSWER);
        assertThat(engine.allEvents())
                .extracting(SessionEvent::getEvent)
                .filteredOn(HumanAsked.class::isInstance)
                .extracting(e -> ((HumanAsked) e).getQuestion())
                .containsExactly("Which day should we ship?");
        engine.driver.advanceWallClockTime(Duration.ofDays(3));
        assertThat(engine.modelWork.isEmpty()).isTrue();
        assertThat(engine.results.isEmpty()).isTrue();

        // When the human answers (the only question, so no call id)
        engine.control.pipeInput("q1", control("q1", ControlType.ANSWER, null, "Tuesday"));

        // Then the model's next turn sees the answer as the call's result
        WorkRequest next = engine.nextModelCall();
        assertThat(engine.modelCall(next).getMessages())
                .filteredOn(m -> m.getRole() == Role.TOOL)
                .singleElement()
                .extracting(Message::getContent, Message::getIsError)
                .containsExactly("Tuesday", false);
        assertThat(engine.allEvents())
                .extracting(SessionEvent::getEvent)
                .filteredOn(HumanAnswered.class::isInstance)
                .extracting(e -> ((HumanAnswered) e).getAnswer())
                .containsExactly("Tuesday");
        engine.workResults.pipeInput("q1", modelReply(next, "We ship on Tuesday."));
        assertThat(engine.results.readValue().getStatus()).isEqualTo(ResultStatus.COMPLETED);

        // and an answer nobody waits for goes to the DLQ with the reason
        engine.control.pipeInput("q1", control("q1", ControlType.ANSWER, null, "late"));
        assertThat(engine.dlq.readRecordsToList())
                .extracting(r -> engine.dlqHeaders(r).get(DlqHeaders.REASON))
                .singleElement()
                .asString()
                .contains("already ended");
    }

    @Test
    void shouldSleepThroughItsTimerAndRefuseASleepItCannotRead() {
        // Given a model that sleeps an hour, and asks for a sleep with an unreadable time beside it
        engine.tasks.pipeInput("z1", task("z1", "patient", "check again in an hour"));
        WorkRequest turn = engine.nextModelCall();
        engine.workResults.pipeInput(
                "z1",
                modelReply(
                        turn,
                        "",
                        call("nap", "sleep", "{\"seconds\":3600}"),
                        call("bad", "sleep", "{\"until\":\"next tuesday\"}")));
        Instant until = engine.allEvents().stream()
                .map(SessionEvent::getEvent)
                .filter(SleepStarted.class::isInstance)
                .map(e -> ((SleepStarted) e).getUntil())
                .findFirst()
                .orElseThrow();
        assertThat(until).isEqualTo(EngineDriver.START.plusSeconds(3600));
        assertThat(state("z1").getStatus()).isEqualTo(SessionStatus.AWAITING_TOOLS);

        // When 59 minutes pass, nothing happens; when the hour is over, the sleep's call completes
        engine.driver.advanceWallClockTime(Duration.ofMinutes(59));
        assertThat(engine.modelWork.isEmpty()).isTrue();
        engine.driver.advanceWallClockTime(Duration.ofMinutes(2));

        // Then the next turn sees both results: the sleep done, the unreadable one refused with what to send
        WorkRequest next = engine.nextModelCall();
        List<Message> tools = engine.modelCall(next).getMessages().stream()
                .filter(m -> m.getRole() == Role.TOOL)
                .toList();
        assertThat(tools).hasSize(2);
        assertThat(tools)
                .filteredOn(m -> m.getToolCallId().equals("nap"))
                .singleElement()
                .satisfies(m -> {
                    assertThat(m.getContent()).startsWith("slept until " + until);
                    assertThat(m.getIsError()).isFalse();
                });
        assertThat(tools)
                .filteredOn(m -> m.getToolCallId().equals("bad"))
                .singleElement()
                .satisfies(m -> {
                    assertThat(m.getContent()).contains("ISO-8601");
                    assertThat(m.getIsError()).isTrue();
                });
    }

    private SessionState state(String sessionId) {
        KeyValueStore<String, SessionState> sessions = engine.driver.getKeyValueStore(EngineTopology.SESSIONS_STORE);
        return sessions.get(sessionId);
    }

    private static ControlCommand control(String sessionId, ControlType type, String toolCallId, String message) {
        return ControlCommand.newBuilder()
                .setSessionId(sessionId)
                .setType(type)
                .setToolCallId(toolCallId)
                .setMessage(message)
                .setIssuedAt(Instant.EPOCH)
                .build();
    }
}
