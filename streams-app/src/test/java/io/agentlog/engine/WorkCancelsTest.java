package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.WorkCancelled;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Work nobody waits for any more is announced on {@code agentlog.cancels}, for workers to stop. */
class WorkCancelsTest {

    private EngineDriver engine;

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
        engine.register(agent("busy", List.of("noop", "bash", "ask_human")));
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldCancelTheWorkerItemsStillRunningWhenTheSessionIsCancelled() {
        // Given a turn with two worker calls running and a question waiting
        engine.tasks.pipeInput("k1", task("k1", "busy", "work"));
        engine.workResults.pipeInput(
                "k1",
                modelReply(
                        engine.nextModelCall(),
                        "",
                        call("n", "noop", "{}"),
                        call("b", "bash", "{\"command\":\"sleep 600\"}"),
                        call("q", "ask_human", "{\"question\":\"?\"}")));
        List<String> running = List.of(
                engine.toolWork.readValue().getWorkId(),
                engine.sandboxWork.readValue().getWorkId());

        // When the session is cancelled
        engine.control.pipeInput(
                "k1",
                ControlCommand.newBuilder()
                        .setSessionId("k1")
                        .setType(ControlType.CANCEL)
                        .setIssuedAt(Instant.EPOCH)
                        .build());

        // Then one record names both worker items (not the engine's own wait), with why
        WorkCancelled cancelled = engine.cancels.readValue();
        assertThat(cancelled.getSessionId()).isEqualTo("k1");
        assertThat(cancelled.getWorkIds()).containsExactlyInAnyOrderElementsOf(running);
        assertThat(cancelled.getReason()).isEqualTo("session k1 ended CANCELLED");
        assertThat(engine.cancels.isEmpty()).isTrue();
    }

    @Test
    void shouldCancelAToolCallPastItsDeadlineAndNothingWhenNothingRuns() {
        engine.tasks.pipeInput("k2", task("k2", "busy", "work"));
        WorkRequest model = engine.nextModelCall();
        engine.workResults.pipeInput("k2", modelReply(model, "", call("n", "noop", "{}")));
        String workId = engine.toolWork.readValue().getWorkId();

        // When the noop call passes its 60 s deadline
        engine.driver.advanceWallClockTime(Duration.ofSeconds(61));

        // Then its item is cancelled, and the next model turn goes out
        WorkCancelled cancelled = engine.cancels.readValue();
        assertThat(cancelled.getWorkIds()).containsExactly(workId);
        assertThat(cancelled.getReason()).contains("stopped waiting after");
        WorkRequest next = engine.nextModelCall();

        // and a session that completes with nothing running cancels nothing
        engine.workResults.pipeInput("k2", modelReply(next, "done"));
        assertThat(engine.cancels.isEmpty()).isTrue();
    }
}
