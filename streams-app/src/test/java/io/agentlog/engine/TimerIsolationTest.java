package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.engine.internal.WorkPools;
import io.agentlog.engine.session.StepFaults;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Timers fire one session at a time: one session whose timer step fails does not take the others' timeouts with it
 * (each timer is handled and deleted in its own step), and one punctuation handles a bounded number of timers.
 */
class TimerIsolationTest {

    @Test
    void shouldFireEveryOtherSessionsTimerWhenOneSessionsTimerFails() throws Exception {
        // Given 50 sessions waiting on a tool call, and a failure in the timer step of one of them
        StepFaults failing = new StepFaults() {
            @Override
            public void beforeEvent(String sessionId, SessionEvent event) {
                if (sessionId.equals("t-13") && event.getEvent() instanceof ToolCompleted) {
                    throw new IllegalStateException("injected failure in the timer of " + sessionId);
                }
            }
        };
        try (EngineDriver engine = waiting(50, failing)) {
            // When every tool call's timeout passes (one punctuation may do only part of the work: it is bounded
            // in time, so the clock moves on a second at a time until nothing more happens)
            engine.driver.advanceWallClockTime(Duration.ofSeconds(61));
            Map<String, Integer> timedOut = new HashMap<>();
            Set<String> nextTurn = new HashSet<>();
            for (int punctuation = 0; punctuation < 30; punctuation++) {
                for (KeyValue<String, SessionEvent> event : engine.events.readKeyValuesToList()) {
                    if (event.value.getEvent() instanceof ToolCompleted completed) {
                        assertThat(completed.getContent()).startsWith("timed out after");
                        timedOut.merge(event.key, 1, Integer::sum);
                    }
                    if (event.value.getEvent() instanceof ModelRequested) {
                        nextTurn.add(event.key);
                    }
                }
                engine.driver.advanceWallClockTime(Duration.ofSeconds(1));
            }

            // Then 49 sessions saw their timeout and went on to their next model turn
            assertThat(timedOut)
                    .hasSize(49)
                    .doesNotContainKey("t-13")
                    .allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
            assertThat(nextTurn).hasSize(49).doesNotContain("t-13");
            assertThat(engine.modelWork.readValuesToList()).hasSize(49);

            // and the failing one ended FAILED, its timer in the DLQ with the reason
            List<SessionResult> results = engine.results.readValuesToList();
            assertThat(results).singleElement().satisfies(r -> {
                assertThat(r.getSessionId()).isEqualTo("t-13");
                assertThat(r.getStatus()).isEqualTo(ResultStatus.FAILED);
                assertThat(r.getError()).contains("injected failure");
            });
            TestRecord<byte[], byte[]> dead = engine.dlq.readRecord();
            assertThat(new String(dead.key())).isEqualTo("t-13");
            assertThat(DlqHeaders.get(dead.headers(), DlqHeaders.REASON))
                    .contains("injected failure")
                    .contains("timer");

            // and no timer fired twice (each session's single timeout is counted above)
            engine.driver.advanceWallClockTime(Duration.ofSeconds(5));
            assertThat(engine.events.readValuesToList()).isEmpty();
        }
    }

    @Test
    void shouldBoundTheTimersOnePunctuationHandles() throws Exception {
        // Given more sessions with a due timer than one punctuation handles
        int sessions = 1_200;
        try (EngineDriver engine = waiting(sessions, StepFaults.NONE)) {
            // When their timeouts pass, one punctuation at a time
            engine.driver.advanceWallClockTime(Duration.ofSeconds(61));
            int first = engine.modelWork.readValuesToList().size();
            int total = first;
            for (int i = 0; i < 20 && total < sessions; i++) {
                engine.driver.advanceWallClockTime(Duration.ofSeconds(1));
                total += engine.modelWork.readValuesToList().size();
            }

            // Then the first handled at most its bound, and the following ones the rest
            assertThat(first).isPositive().isLessThanOrEqualTo(1000);
            assertThat(total).isEqualTo(sessions);
        }
    }

    @Test
    void shouldFireATimerAtItsDeadlineRatherThanOnAFixedTick() throws Exception {
        // Given a session whose tool call was requested half a second off any whole-second tick
        try (EngineDriver engine = new EngineDriver(
                EngineConfig.defaults("unused:9092", EngineDriver.tempDir()),
                WorkPools.fixed(Set.copyOf(Topics.DEFAULT_POOLS)),
                StepFaults.NONE)) {
            engine.register(agent("waiter", List.of("noop")));
            engine.tasks.pipeInput("t-1", task("t-1", "waiter", "wait"));
            WorkRequest model = engine.modelWork.readValue();
            engine.driver.advanceWallClockTime(Duration.ofMillis(500));
            engine.workResults.pipeInput("t-1", modelReply(model, "", call("n", "noop", "{}")));
            assertThat(engine.toolWork.readValuesToList()).hasSize(1);
            SessionEvent requested = engine.events.readValuesToList().stream()
                    .filter(e -> e.getEvent() instanceof ToolRequested)
                    .findFirst()
                    .orElseThrow();
            long timeoutMs =
                    ((ToolRequested) requested.getEvent()).getDeadline().toEpochMilli()
                            - requested.getAt().toEpochMilli();

            // When the clock passes the call's deadline by a little more than the alarm's minimum delay
            engine.driver.advanceWallClockTime(Duration.ofMillis(timeoutMs - 1));
            assertThat(engine.events.readValuesToList()).isEmpty();
            engine.driver.advanceWallClockTime(Duration.ofMillis(60));

            // Then the timeout has fired (a one-second tick from the start would fire it only at the next whole second)
            assertThat(engine.events.readValuesToList())
                    .anySatisfy(e -> assertThat(e.getEvent()).isInstanceOf(ToolCompleted.class));
        }
    }

    private static EngineDriver waiting(int sessions, StepFaults faults) throws Exception {
        EngineDriver engine = new EngineDriver(
                EngineConfig.defaults("unused:9092", EngineDriver.tempDir()),
                WorkPools.fixed(Set.copyOf(Topics.DEFAULT_POOLS)),
                faults);
        engine.register(agent("waiter", List.of("noop")));
        for (int i = 0; i < sessions; i++) {
            engine.tasks.pipeInput("t-" + i, task("t-" + i, "waiter", "wait"));
        }
        for (WorkRequest model : engine.modelWork.readValuesToList()) {
            engine.workResults.pipeInput(model.getSessionId(), modelReply(model, "", call("n", "noop", "{}")));
        }
        assertThat(engine.toolWork.readValuesToList()).hasSize(sessions);
        engine.events.readValuesToList();
        return engine;
    }
}
