package io.agentlog.bench;

import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.SessionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code history}: a few sessions of {@link StepsAgent} with 200 tool-calling turns each, in flight together. Every
 * turn's model request carries the whole conversation so far, so a turn late in a session may cost the engine more
 * than an early one. The scenario compares the first window of steps (the first {@code historyWindow} turns of
 * every session) with the last (their last {@code historyWindow} turns): each process's CPU per step, and the step
 * latency.
 */
final class HistoryScenario implements Scenario {

    static final String NAME = "history";
    static final double TARGET_RATIO = 1.5;

    /**
     * @param sessions sessions run together; {@code turns} tool-calling turns each
     * @param first the window of the first steps; {@code last} of the last ones
     * @param engineCpuRatio engine CPU-ms per step, last window over first
     */
    record Measured(
            int sessions,
            int turns,
            int completed,
            int failed,
            List<String> failures,
            Window first,
            Window last,
            Double engineCpuRatio,
            Double stepLatencyP50Ratio,
            Cost idle) {}

    /**
     * @param fromTurn the lowest turn of a step in the window; {@code toTurn} the highest
     * @param steps steps in the window
     * @param stepLatencyMs of those steps (engine clock)
     * @param engineNetMsPerStep the engine's CPU-ms per step less what it spends idle over as long (its poll loop,
     *     punctuators): closer to the work a step itself costs when the windows run at different rates
     * @param cost per step
     */
    record Window(
            int fromTurn,
            int toTurn,
            long steps,
            BenchResult.Latency stepLatencyMs,
            Double engineNetMsPerStep,
            Cost cost) {}

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
        int sessions = sizes.historySessions();
        int turns = sizes.historyTurns();
        int version = BenchStack.registerFreshAgent(
                context.bootstrap(), StepsAgent.NAME, v -> StepsAgent.definition(v, turns));
        try (SessionLoad load = new SessionLoad(context.bootstrap(), BenchStack.REQUEST_TIMEOUT);
                StackMeter meter = new StackMeter(context.target())) {
            Readiness.probe(context, load);
            // A cold engine compiles its hot paths (JIT threads count in its CPU) during the first window and would
            // make it look dearer than the last: the same sessions run once, unmeasured, first.
            Readiness.warmUp(context, load, version, sessions, turns);
            Cost idle = meter.idle(sizes);
            long total = (long) sessions * turns;
            long windowSteps = (long) sessions * sizes.historyWindow();
            Windows windows = new Windows(meter, windowSteps, total, engineCores(idle));
            context.say("Running %d sessions of %d turns", sessions, turns);
            SessionLoad.Outcome outcome = load.run(
                    StepsAgent.NAME,
                    version,
                    StepsBenchmark.ids(context.idPrefix("history"), sessions),
                    sessions,
                    Readiness.timeoutFor(total, 5, Duration.ofMinutes(10)),
                    windows);
            context.requireAlive();
            if (windows.first == null || windows.last == null) {
                throw new BenchException("the history run saw " + windows.steps + " of " + total + " steps: "
                        + outcome.completed() + " sessions completed, " + outcome.failed() + " failed "
                        + outcome.quotedFailures() + ", " + outcome.timedOut() + " timed out");
            }
            Double engineFirst = engineCpuPerStep(windows.first.cost());
            Double engineLast = engineCpuPerStep(windows.last.cost());
            Double cpuRatio = engineFirst == null || engineLast == null || engineFirst == 0
                    ? null
                    : Json.round(engineLast / engineFirst, 3);
            Double first = windows.first.stepLatencyMs().p50();
            Double last = windows.last.stepLatencyMs().p50();
            Double latencyRatio = first == null || last == null || first == 0 ? null : Json.round(last / first, 3);
            Measured measured = new Measured(
                    sessions,
                    turns,
                    outcome.completed(),
                    outcome.failed(),
                    outcome.quotedFailures(),
                    windows.first,
                    windows.last,
                    cpuRatio,
                    latencyRatio,
                    idle);
            context.say(
                    "Engine CPU per step: %s ms at the start, %s ms at the end (ratio %s)",
                    engineFirst, engineLast, cpuRatio);
            return result(measured);
        }
    }

    static Double engineCpuPerStep(Cost cost) {
        return engineCpu(cost).map(Cost.ProcessCpu::msPerUnit).orElse(null);
    }

    private static java.util.Optional<Cost.ProcessCpu> engineCpu(Cost cost) {
        return cost.cpu().stream().filter(c -> c.process().startsWith("engine")).findFirst();
    }

    private static Double engineCores(Cost idle) {
        return engineCpu(idle).map(Cost.ProcessCpu::cores).orElse(null);
    }

    /** The engine's CPU-ms per step in {@code cost} less its idle rate over the window's length. */
    static Double netOfIdle(Cost cost, Double idleCores) {
        if (idleCores == null || cost.units() == 0) {
            return null;
        }
        return engineCpu(cost)
                .map(c -> Json.round((c.cpuMs() - idleCores * cost.seconds() * 1000) / cost.units(), 2))
                .orElse(null);
    }

    static Result result(Measured measured) {
        Target target = Target.atMost(
                "historyEngineCpuRatio",
                "turn 200 costs the engine no more than 1.5 x turn 1 (engine CPU per step, last window over first)",
                TARGET_RATIO,
                measured.engineCpuRatio(),
                "ratio",
                "windows of " + (measured.first().toTurn() - measured.first().fromTurn() + 1) + " turns of "
                        + measured.sessions() + " sessions");
        Map<String, Object> highlights = new LinkedHashMap<>();
        highlights.put(
                "engineCpuMsPerStepFirst", engineCpuPerStep(measured.first().cost()));
        highlights.put(
                "engineCpuMsPerStepLast", engineCpuPerStep(measured.last().cost()));
        highlights.put("engineCpuRatio", measured.engineCpuRatio());
        highlights.put("engineNetMsPerStepFirst", measured.first().engineNetMsPerStep());
        highlights.put("engineNetMsPerStepLast", measured.last().engineNetMsPerStep());
        highlights.put("stepLatencyP50Ratio", measured.stepLatencyP50Ratio());
        return new Result(List.of(target), highlights, measured);
    }

    /** Snapshots the stack at the step counts that bound the two windows, and keeps their steps' latencies. */
    private static final class Windows implements SessionLoad.Listener {
        private final StackMeter meter;
        private final long windowSteps;
        private final long total;
        private final Double idleEngineCores;
        private final Map<String, Long> lastAt = new HashMap<>();
        long steps;
        private StackMeter.Snapshot opened;
        private final List<Double> latencies = new ArrayList<>();
        private int fromTurn = Integer.MAX_VALUE;
        private int toTurn;
        private long inWindow;
        Window first;
        Window last;

        Windows(StackMeter meter, long windowSteps, long total, Double idleEngineCores) {
            this.meter = meter;
            this.windowSteps = windowSteps;
            this.total = total;
            this.idleEngineCores = idleEngineCores;
        }

        @Override
        public void event(String sessionId, int partition, SessionEvent event, long seenAtNanos) {
            if (!(event.getEvent() instanceof ModelRequested requested)) {
                return;
            }
            long at = event.getAt().toEpochMilli();
            Long previous = lastAt.put(sessionId, at);
            if (requested.getTurn() == 0 || previous == null) {
                return;
            }
            steps++;
            if (opened != null) {
                latencies.add((double) (at - previous));
                fromTurn = Math.min(fromTurn, requested.getTurn());
                toTurn = Math.max(toTurn, requested.getTurn());
                inWindow++;
                if (inWindow == windowSteps) {
                    Cost cost = meter.cost(opened, meter.snapshot(), inWindow, "step");
                    Window window = new Window(
                            fromTurn,
                            toTurn,
                            inWindow,
                            BenchResult.Latency.of(Percentiles.of(latencies)),
                            netOfIdle(cost, idleEngineCores),
                            cost);
                    if (first == null) {
                        first = window;
                    } else {
                        last = window;
                    }
                    opened = null;
                }
            }
            // a window opens when a step is seen and counts the next ones
            if (opened == null
                    && ((first == null && steps == 1)
                            || (first != null && last == null && steps == total - windowSteps))) {
                open();
            }
        }

        private void open() {
            opened = meter.snapshot();
            latencies.clear();
            fromTurn = Integer.MAX_VALUE;
            toTurn = 0;
            inWindow = 0;
        }
    }
}
