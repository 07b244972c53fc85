package io.agentlog.bench;

import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.SessionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code throughput}: N sessions of {@link StepsAgent} ({@code noop} tool, scripted model) all in flight at once. The
 * steady window opens once every session has taken its first step (and at least 10 % of the expected steps are done)
 * and closes at 90 % of them, so the ramp and the tail (the last sessions alone) are left out. The ramp: all N tasks
 * arrive at once, so a session's first step waits behind the first turns of all the others, which no later step does
 * (with 10,000 sessions, first steps took p50 4-8 s and p99 7-20 s against 2.5-4 s and 4-6 s for later ones). If some
 * session never takes a first step the window opens at half the expected steps. The step rate, the step latency and
 * the cost are all measured over that window.
 */
final class ThroughputScenario implements Scenario {

    static final String NAME = "throughput";
    static final double WINDOW_FROM = 0.10;
    static final double WINDOW_TO = 0.90;
    /** Where the window opens at the latest, even if some session has not taken its first step. */
    static final double WINDOW_LATEST_FROM = 0.50;

    static final int WARMUP_SESSIONS = 20;
    /** The throughput target and the sessions it names. */
    static final double TARGET_STEPS_PER_SECOND = 2_500;

    static final int TARGET_SESSIONS = 10_000;
    static final double TARGET_P99_OVER_P50 = 3;
    static final double TARGET_IDLE_CORES = 0.1;

    /**
     * @param sessions measured sessions, all in flight at once
     * @param stepsPerSession tool-calling turns per session (then one text turn)
     * @param completed sessions {@code COMPLETED}; {@code failed} ended otherwise; {@code timedOut} had no result
     * @param steps steps seen in the whole run (a step: one model turn that calls {@code noop}, and the tool call)
     * @param wallSeconds from the first task sent to the last result seen
     * @param steady the window from every session's first step (at least 10 % of the expected steps) to 90 %
     * @param stepLatencyMs steps that ended in the steady window: time between consecutive {@code ModelRequested}
     *     events of a session (engine clock)
     * @param stepLatencyByTurnMs the same steps by the turn they ended in: a session's first step waited behind the
     *     first turns of every session submitted with it, later ones behind one step of each session in flight
     * @param sessionLatencyMs task sent to result seen, every session
     * @param idle what the stack spent doing nothing, before the run
     * @param cost what the stack spent in the steady window, per step
     */
    record Measured(
            int sessions,
            int stepsPerSession,
            int completed,
            int failed,
            int timedOut,
            List<String> failures,
            long steps,
            double wallSeconds,
            Steady steady,
            BenchResult.Latency stepLatencyMs,
            Map<String, BenchResult.Latency> stepLatencyByTurnMs,
            BenchResult.Latency sessionLatencyMs,
            Cost idle,
            Cost cost) {}

    /**
     * @param fromStep the step count where the window opened; {@code toStep} where it closed
     * @param seconds its length
     * @param stepsPerSecond {@code (toStep - fromStep) / seconds}
     */
    record Steady(long fromStep, long toStep, double seconds, double stepsPerSecond) {

        Steady {
            seconds = Json.round(seconds);
            stepsPerSecond = Json.round(stepsPerSecond);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public StackSpec stack(SuiteSizes sizes) {
        return StackSpec.standard();
    }

    @Override
    public Result run(ScenarioContext context) {
        SuiteSizes sizes = context.sizes();
        int sessions = sizes.throughputSessions();
        int steps = sizes.throughputSteps();
        int version = BenchStack.registerFreshAgent(
                context.bootstrap(), StepsAgent.NAME, v -> StepsAgent.definition(v, steps));
        try (SessionLoad load = new SessionLoad(context.bootstrap(), BenchStack.REQUEST_TIMEOUT);
                StackMeter meter = new StackMeter(context.target())) {
            Readiness.probe(context, load);
            Readiness.warmUp(context, load, version, WARMUP_SESSIONS, steps);
            context.say(
                    "Watching the idle stack for %d s after %d s of rest",
                    sizes.idle().toSeconds(), sizes.idleSettle().toSeconds());
            Cost idle = meter.idle(sizes);
            long expected = (long) sessions * steps;
            Window window = new Window(
                    meter,
                    sessions,
                    Math.max(1, (long) (expected * WINDOW_FROM)),
                    (long) (expected * WINDOW_LATEST_FROM),
                    (long) (expected * WINDOW_TO));
            context.say("Running %d sessions of %d steps, all in flight", sessions, steps);
            SessionLoad.Outcome outcome = load.run(
                    StepsAgent.NAME,
                    version,
                    StepsBenchmark.ids(context.idPrefix("run"), sessions),
                    sessions,
                    Readiness.timeoutFor(expected, 10, Duration.ofMinutes(10)),
                    window);
            context.requireAlive();
            Measured measured = window.measured(sessions, steps, outcome, idle);
            context.say(
                    "%d steps; steady %.1f steps/s; step p50 %s ms, p99 %s ms",
                    measured.steps(),
                    measured.steady().stepsPerSecond(),
                    measured.stepLatencyMs().p50(),
                    measured.stepLatencyMs().p99());
            return result(measured, sizes);
        }
    }

    static Result result(Measured measured, SuiteSizes sizes) {
        String note = measured.sessions() == TARGET_SESSIONS
                ? null
                : "measured with " + measured.sessions() + " concurrent sessions, not " + TARGET_SESSIONS;
        BenchResult.Latency step = measured.stepLatencyMs();
        Double ratio = step.p50() == null || step.p50() == 0 ? null : step.p99() / step.p50();
        Double idleCores =
                measured.idle().cpuOf(Cost.TOTAL).map(Cost.ProcessCpu::cores).orElse(null);
        List<Target> targets = List.of(
                Target.atLeast(
                        "stepsPerSecond",
                        ">= 2500 steps/s sustained with 10000 concurrent sessions (scripted model, noop tool)",
                        TARGET_STEPS_PER_SECOND,
                        measured.steady().stepsPerSecond(),
                        "steps/s",
                        note),
                Target.atMost(
                        "stepLatencyP99OverP50",
                        "step latency p99 <= 3 x p50",
                        TARGET_P99_OVER_P50,
                        ratio,
                        "ratio",
                        note),
                Target.below(
                        "idleCores",
                        "idle CPU of the stack (broker, engine, worker, as `agentlog up`) < 0.1 core",
                        TARGET_IDLE_CORES,
                        idleCores,
                        "cores",
                        null));
        Map<String, Object> highlights = new LinkedHashMap<>();
        highlights.put("stepsPerSecond", measured.steady().stepsPerSecond());
        highlights.put("stepP50Ms", step.p50());
        highlights.put("stepP99Ms", step.p99());
        highlights.put("cpuMsPerStep", totalPerUnit(measured.cost()));
        highlights.put(
                "brokerRequestsPerStep",
                measured.cost().brokerRequests() == null
                        ? null
                        : measured.cost().brokerRequests().perUnit());
        highlights.put("idleCores", idleCores);
        return new Result(targets, highlights, measured);
    }

    static Double totalPerUnit(Cost cost) {
        return cost.cpuOf(Cost.TOTAL).map(Cost.ProcessCpu::msPerUnit).orElse(null);
    }

    /** Counts steps as they are seen and snapshots the stack when the count crosses the window's bounds. */
    private static final class Window implements SessionLoad.Listener {
        private final StackMeter meter;
        private final int sessions;
        private final long from;
        private final long latestFrom;
        private final long to;
        private int sessionsPastFirstStep;
        private final Map<String, Long> lastModelRequestAt = new HashMap<>();
        private final List<Double> steadySteps = new ArrayList<>();
        private final Map<Integer, List<Double>> steadyStepsByTurn = new TreeMap<>();
        private long steps;
        private StackMeter.Snapshot opened;
        private long openedAt;
        private StackMeter.Snapshot closed;
        private long closedAt;

        Window(StackMeter meter, int sessions, long from, long latestFrom, long to) {
            this.meter = meter;
            this.sessions = sessions;
            this.from = from;
            this.latestFrom = Math.max(from, latestFrom);
            this.to = Math.max(to, this.latestFrom + 1);
        }

        @Override
        public void event(String sessionId, int partition, SessionEvent event, long seenAtNanos) {
            if (!(event.getEvent() instanceof ModelRequested requested)) {
                return;
            }
            long at = event.getAt().toEpochMilli();
            Long previous = lastModelRequestAt.put(sessionId, at);
            if (requested.getTurn() == 0 || previous == null) {
                return;
            }
            steps++;
            if (requested.getTurn() == 1) {
                sessionsPastFirstStep++;
            }
            if (opened != null && closed == null) {
                steadySteps.add((double) (at - previous));
                steadyStepsByTurn
                        .computeIfAbsent(requested.getTurn(), turn -> new ArrayList<>())
                        .add((double) (at - previous));
            }
            if (opened == null) {
                if (steps >= latestFrom || (steps >= from && sessionsPastFirstStep >= sessions)) {
                    opened = meter.snapshot();
                    openedAt = steps;
                }
            } else if (steps == to) {
                closed = meter.snapshot();
                closedAt = steps;
            }
        }

        private Map<String, BenchResult.Latency> byTurn() {
            Map<String, BenchResult.Latency> byTurn = new LinkedHashMap<>();
            steadyStepsByTurn.forEach(
                    (turn, steps) -> byTurn.put(String.valueOf(turn), BenchResult.Latency.of(Percentiles.of(steps))));
            return byTurn;
        }

        Measured measured(int sessions, int stepsPerSession, SessionLoad.Outcome outcome, Cost idle) {
            if (opened == null) {
                throw new BenchException("the run saw only " + steps + " steps (" + sessionsPastFirstStep + " of "
                        + sessions + " sessions past their first), too few to open the measured window (" + from
                        + " once every session is past its first step, else " + latestFrom + "): "
                        + outcome.completed() + " sessions completed, "
                        + outcome.failed() + " failed " + outcome.quotedFailures() + ", " + outcome.timedOut()
                        + " timed out");
            }
            if (closed == null) {
                closed = meter.snapshot(); // fewer steps than expected: the window runs to the end
                closedAt = steps;
            }
            double seconds = (closed.nanos() - opened.nanos()) / 1e9;
            long windowSteps = closedAt - openedAt;
            Steady steady = new Steady(openedAt, closedAt, seconds, seconds > 0 ? windowSteps / seconds : 0);
            return new Measured(
                    sessions,
                    stepsPerSession,
                    outcome.completed(),
                    outcome.failed(),
                    outcome.timedOut(),
                    outcome.quotedFailures(),
                    steps,
                    Json.round(outcome.wall().toNanos() / 1e9),
                    steady,
                    BenchResult.Latency.of(Percentiles.of(steadySteps)),
                    byTurn(),
                    BenchResult.Latency.of(outcome.sessionLatencyMs()),
                    idle,
                    meter.cost(opened, closed, windowSteps, "step"));
        }
    }
}
