package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.engine.internal.WorkPools;
import io.agentlog.engine.session.SessionFold;
import io.agentlog.engine.session.StepFaults;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One input, all or nothing: a failure injected before any event of a step, between its events or just before it is
 * written leaves no trace of that step — no store change, no event, no work request — sends the input to the DLQ
 * with the reason, and ends the session FAILED with a gapless journal that still folds to the stores.
 */
class StepAtomicityTest {

    private static final String SESSION = "atomic-1";

    /** Throws once: at the {@code at}-th event folded after it is armed, or before the step is written ({@code at} = -1). */
    static final class OneFault implements StepFaults {
        private int at = Integer.MIN_VALUE;
        private int seen;

        void arm(int at) {
            this.at = at;
            this.seen = 0;
        }

        @Override
        public void beforeEvent(String sessionId, SessionEvent event) {
            if (at >= 0 && seen++ == at) {
                at = Integer.MIN_VALUE;
                throw new IllegalStateException("injected failure before event " + event.getSeq());
            }
        }

        @Override
        public void beforeApply(String sessionId) {
            if (at == -1) {
                at = Integer.MIN_VALUE;
                throw new IllegalStateException("injected failure before apply");
            }
        }
    }

    /** The work requests the setup left pending: the last model call and tool call sent. */
    record Pending(WorkRequest model, WorkRequest tool) {

        static Pending drain(EngineDriver engine) {
            List<WorkRequest> models = engine.modelWork.readValuesToList();
            List<WorkRequest> tools = engine.toolWork.readValuesToList();
            return new Pending(models.isEmpty() ? null : models.getLast(), tools.isEmpty() ? null : tools.getLast());
        }
    }

    /** A way into a state (setup) and the input under test (trigger). */
    record Scenario(String name, Consumer<EngineDriver> setup, BiConsumer<EngineDriver, Pending> trigger) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Scenario> scenarios() {
        Consumer<EngineDriver> started = e -> {
            e.register(agent("atomic", List.of("write_file", "read_file", "noop")));
            e.tasks.pipeInput(SESSION, task(SESSION, "atomic", "go"));
        };
        Consumer<EngineDriver> waitingForNoop = started.andThen(
                e -> e.workResults.pipeInput(SESSION, modelReply(e.nextModelCall(), "", call("n", "noop", "{}"))));
        return List.of(
                new Scenario(
                        "task",
                        e -> e.register(agent("atomic", List.of("write_file", "noop"))),
                        (e, p) -> e.tasks.pipeInput(SESSION, task(SESSION, "atomic", "x".repeat(40_000)))),
                new Scenario(
                        "model reply with inline and worker tools",
                        started,
                        (e, p) -> e.workResults.pipeInput(
                                SESSION,
                                modelReply(
                                        p.model(),
                                        "y".repeat(40_000),
                                        call("a", "write_file", "{\"path\":\"a.txt\",\"content\":\"hello\"}"),
                                        call("b", "noop", "{}"),
                                        call("c", "read_file", "{\"path\":\"a.txt\"}")))),
                new Scenario(
                        "tool result",
                        waitingForNoop,
                        (e, p) -> e.workResults.pipeInput(SESSION, toolResult(p.tool(), "ok"))),
                new Scenario(
                        "steer", waitingForNoop, (e, p) -> e.control.pipeInput(SESSION, control(ControlType.STEER))),
                new Scenario(
                        "cancel", waitingForNoop, (e, p) -> e.control.pipeInput(SESSION, control(ControlType.CANCEL))),
                new Scenario(
                        "tool timeout (timer)",
                        waitingForNoop,
                        (e, p) -> e.driver.advanceWallClockTime(Duration.ofSeconds(61))));
    }

    /** Every scenario with every point of failure: each event its step emits, and the write at the end. */
    static Stream<Arguments> failurePoints() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (Scenario scenario : scenarios()) {
            int events;
            try (EngineDriver engine = driver(new OneFault())) {
                scenario.setup().accept(engine);
                engine.events.readValuesToList();
                scenario.trigger().accept(engine, Pending.drain(engine));
                events = engine.events.readValuesToList().size();
            }
            assertThat(events).as("events of %s", scenario).isPositive();
            IntStream.range(-1, events).forEach(at -> out.add(Arguments.of(scenario, at)));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, failing at {1}")
    @MethodSource("failurePoints")
    void shouldApplyNothingOfAFailedStepAndEndTheSessionFailed(Scenario scenario, int failAt) throws Exception {
        OneFault fault = new OneFault();
        try (EngineDriver engine = driver(fault)) {
            // Given a session in the scenario's state
            scenario.setup().accept(engine);
            List<SessionEvent> journal = new ArrayList<>(engine.events.readValuesToList());
            StoreSnapshot before = StoreSnapshot.of(engine.driver, SESSION);
            Pending pending = Pending.drain(engine);
            engine.results.readValuesToList();

            // When its next step fails at the given point
            fault.arm(failAt);
            scenario.trigger().accept(engine, pending);

            // Then nothing of the step is there: no work, and the only new events end the session FAILED
            assertThat(engine.modelWork.isEmpty()).isTrue();
            assertThat(engine.toolWork.isEmpty()).isTrue();
            List<SessionEvent> added = engine.events.readValuesToList();
            journal.addAll(added);
            assertThat(journal)
                    .extracting(SessionEvent::getSeq)
                    .containsExactlyElementsOf(IntStream.range(0, journal.size())
                            .mapToObj(i -> (long) i)
                            .toList());
            SessionEvent last = added.getLast();
            assertThat(last.getEvent()).isInstanceOf(SessionEnded.class);
            assertThat(((SessionEnded) last.getEvent()).getStatus()).isEqualTo(ResultStatus.FAILED);
            if (before.state() == null) {
                assertThat(added)
                        .extracting(e -> e.getEvent().getClass().getSimpleName())
                        .containsExactly(SessionStarted.class.getSimpleName(), SessionEnded.class.getSimpleName());
            } else {
                assertThat(added).hasSize(1);
                StoreSnapshot after = StoreSnapshot.of(engine.driver, SESSION);
                assertThat(after.history()).isEqualTo(before.history());
                assertThat(after.files()).isEqualTo(before.files());
            }
            SessionResult result = engine.results.readValue();
            assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.getError()).contains("internal engine error").contains("injected failure");
            assertThat(engine.results.isEmpty()).isTrue();

            // and the input is in the DLQ with the reason
            TestRecord<byte[], byte[]> dead = engine.dlq.readRecord();
            assertThat(DlqHeaders.get(dead.headers(), DlqHeaders.REASON)).contains("injected failure");
            assertThat(new String(dead.key())).isEqualTo(SESSION);
            assertThat(engine.dlq.isEmpty()).isTrue();

            // and the stores are still the fold of the journal
            assertThat(StoreSnapshot.of(engine.driver, SESSION))
                    .isEqualTo(StoreSnapshot.of(
                            SessionFold.replay(SESSION, journal, (s, h) -> Optional.empty()), engine.config));
        }
    }

    private static EngineDriver driver(StepFaults faults) throws Exception {
        return new EngineDriver(
                EngineConfig.defaults("unused:9092", EngineDriver.tempDir()),
                WorkPools.fixed(Set.copyOf(Topics.DEFAULT_POOLS)),
                faults);
    }

    private static ControlCommand control(ControlType type) {
        return ControlCommand.newBuilder()
                .setSessionId(SESSION)
                .setType(type)
                .setMessage("from the test")
                .build();
    }
}
