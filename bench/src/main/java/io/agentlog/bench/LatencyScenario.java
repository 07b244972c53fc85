package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code latency}: 1-step sessions ({@link OneStepAgent}) one at a time, next to the floor of the hops such a session
 * takes, measured in the same run: the engine's start hop (task to model request), the model worker's hop (model
 * request to its result), the engine's result hop (the result to the session's end). The hops and the sessions are
 * measured in alternating rounds, so a change of load on the machine touches both alike.
 */
final class LatencyScenario implements Scenario {

    static final String NAME = "latency";
    static final double TARGET_RATIO = 1.2;

    /**
     * @param oneStepSessionMs task sent until the session's {@code COMPLETED} result is visible
     * @param floors the hops such a session takes, each measured on its own in the same run
     * @param floorSumP50Ms {@code engineStartHopMs.p50 + modelWorkerHopMs.p50 + engineResultHopMs.p50}
     * @param ratioP50 {@code oneStepSessionMs.p50 / floorSumP50Ms}
     * @param cost what the stack spent during the 1-step sessions, per session
     */
    record Measured(
            int sessions,
            int rounds,
            int completed,
            int failed,
            List<String> failures,
            BenchResult.Latency oneStepSessionMs,
            Floors floors,
            Double floorSumP50Ms,
            Double ratioP50,
            Cost idle,
            Cost cost) {}

    record Floors(
            BenchResult.Latency engineStartHopMs,
            BenchResult.Latency modelWorkerHopMs,
            BenchResult.Latency engineResultHopMs) {

        /** The sum of the three p50s; null when one has no samples. */
        Double sumP50() {
            if (engineStartHopMs.p50() == null || modelWorkerHopMs.p50() == null || engineResultHopMs.p50() == null) {
                return null;
            }
            return Json.round(engineStartHopMs.p50() + modelWorkerHopMs.p50() + engineResultHopMs.p50());
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public StackSpec stack(SuiteSizes sizes) {
        return StackSpec.withHoldPool();
    }

    @Override
    public Result run(ScenarioContext context) {
        SuiteSizes sizes = context.sizes();
        int sessions = sizes.latencySessions();
        int rounds = sizes.latencyRounds();
        HoldAgent.ensureTopic(context.bootstrap());
        int holdVersion = BenchStack.registerFreshAgent(context.bootstrap(), HoldAgent.NAME, HoldAgent::definition);
        try (SessionLoad load = new SessionLoad(context.bootstrap(), BenchStack.REQUEST_TIMEOUT);
                StackMeter meter = new StackMeter(context.target());
                WorkerHops workerHops = new WorkerHops(context.bootstrap(), FloorsScenario.HOP_TIMEOUT);
                EngineHops engineHops =
                        new EngineHops(context.bootstrap(), load, holdVersion, context.idPrefix("hop"))) {
            int version = Readiness.probe(context, load);
            engineHops.probe(Readiness.PROBE_TIMEOUT);
            workerHops.measure(Topics.MODEL_POOL, 1); // warms the hop up
            load.run(
                    OneStepAgent.NAME,
                    version,
                    StepsBenchmark.ids(context.idPrefix("warmup"), 5),
                    1,
                    Duration.ofMinutes(2));
            context.say(
                    "Watching the idle stack for %d s after %d s of rest",
                    sizes.idle().toSeconds(), sizes.idleSettle().toSeconds());
            Cost idle = meter.idle(sizes);

            List<Double> start = new ArrayList<>();
            List<Double> model = new ArrayList<>();
            List<Double> result = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            Sessions oneStep = new Sessions();
            StackMeter.Snapshot from = StackMeter.Snapshot.ZERO;
            StackMeter.Snapshot to = StackMeter.Snapshot.ZERO;
            int next = 0;
            for (int round = 0; round < rounds; round++) {
                int n = sessions / rounds + (round < sessions % rounds ? 1 : 0);
                context.say("Round %d of %d: %d samples of each hop, %d 1-step sessions", round + 1, rounds, n, n);
                EngineHops.Samples hops = engineHops.measure(n, Readiness.timeoutFor(n, 2, FloorsScenario.HOP_TIMEOUT));
                addAll(start, hops.start());
                addAll(result, hops.result());
                failures.addAll(hops.failures());
                for (int i = 0; i < n; i++) {
                    model.add(workerHops.hop(Topics.MODEL_POOL));
                }
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    ids.add(context.idPrefix("one-step") + next++);
                }
                StackMeter.Snapshot before = meter.snapshot();
                load.run(
                        OneStepAgent.NAME, version, ids, 1, Readiness.timeoutFor(n, 2, Duration.ofMinutes(2)), oneStep);
                StackMeter.Snapshot after = meter.snapshot();
                from = from.plus(before);
                to = to.plus(after);
            }
            context.requireAlive();
            failures.addAll(oneStep.failures);
            Floors floors = new Floors(
                    BenchResult.Latency.of(Percentiles.of(start)),
                    BenchResult.Latency.of(Percentiles.of(model)),
                    BenchResult.Latency.of(Percentiles.of(result)));
            BenchResult.Latency session = BenchResult.Latency.of(Percentiles.of(oneStep.latencies));
            Double sum = floors.sumP50();
            Double ratio = sum == null || session.p50() == null || sum == 0 ? null : Json.round(session.p50() / sum, 3);
            Measured measured = new Measured(
                    sessions,
                    rounds,
                    oneStep.latencies.size(),
                    oneStep.failures.size(),
                    failures.stream().limit(SessionLoad.MAX_QUOTED_FAILURES).toList(),
                    session,
                    floors,
                    sum,
                    ratio,
                    idle,
                    meter.cost(from, to, oneStep.latencies.size(), "session"));
            context.say("1-step session p50 %s ms; hop floors sum to %s ms (ratio %s)", session.p50(), sum, ratio);
            return result(measured);
        }
    }

    static Result result(Measured measured) {
        Target target = Target.atMost(
                "oneStepOverFloors",
                "a 1-step session p50 within 1.2 x the sum of the hop floors measured in the same run (2 engine hops "
                        + "+ 1 model worker hop)",
                TARGET_RATIO,
                measured.ratioP50(),
                "ratio",
                null);
        Map<String, Object> highlights = new LinkedHashMap<>();
        highlights.put("oneStepP50Ms", measured.oneStepSessionMs().p50());
        highlights.put("floorSumP50Ms", measured.floorSumP50Ms());
        highlights.put("ratioP50", measured.ratioP50());
        highlights.put("cpuMsPerSession", ThroughputScenario.totalPerUnit(measured.cost()));
        return new Result(List.of(target), highlights, measured);
    }

    private static void addAll(List<Double> into, Percentiles samples) {
        if (!samples.isEmpty()) {
            into.addAll(samples.values());
        }
    }

    /** Times each session from its task to its result. */
    private static final class Sessions implements SessionLoad.Listener {
        final Map<String, Long> submitted = new HashMap<>();
        final List<Double> latencies = new ArrayList<>();
        final List<String> failures = new ArrayList<>();

        @Override
        public void submitted(String sessionId, long atNanos) {
            submitted.put(sessionId, atNanos);
        }

        @Override
        public void result(String sessionId, SessionResult result, long seenAtNanos) {
            Long sent = submitted.remove(sessionId);
            if (result.getStatus() == ResultStatus.COMPLETED && sent != null) {
                latencies.add((seenAtNanos - sent) / 1_000_000.0);
            } else {
                failures.add(sessionId + " " + result.getStatus() + ": " + result.getError());
            }
        }
    }
}
