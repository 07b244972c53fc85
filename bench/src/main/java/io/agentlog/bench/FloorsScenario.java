package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code floors}: what one hop costs on its own, each measured one at a time with the stack otherwise idle: the
 * transactional round trip ({@link TransactionalRoundTrip}), the worker hop of the model and the tools pools with no
 * engine in the path ({@link WorkerHops}), and the engine hop ({@link EngineHops}: a task until its model request,
 * a work result until the session's end).
 */
final class FloorsScenario implements Scenario {

    static final String NAME = "floors";
    static final Duration HOP_TIMEOUT = Duration.ofSeconds(60);

    /**
     * @param samples measured samples of each hop
     * @param txRoundTripMs a transactional produce and commit until a read_committed consumer has it
     * @param workerHopMs per pool: a work request's commit returning until its result is visible
     * @param engineHopMs {@code start}: task sent until its {@code ModelRequested} is visible; {@code result}: a
     *     work result written until the session's result is visible
     * @param failures engine-hop sessions that did not end as expected
     */
    record Measured(
            int samples,
            BenchResult.Latency txRoundTripMs,
            Map<String, BenchResult.Latency> workerHopMs,
            Map<String, BenchResult.Latency> engineHopMs,
            List<String> failures) {}

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
        int samples = context.sizes().floorSamples();
        HoldAgent.ensureTopic(context.bootstrap());
        int holdVersion = BenchStack.registerFreshAgent(context.bootstrap(), HoldAgent.NAME, HoldAgent::definition);
        try (SessionLoad load = new SessionLoad(context.bootstrap(), BenchStack.REQUEST_TIMEOUT)) {
            Readiness.probe(context, load);
            context.say("Measuring %d transactional round trips", samples);
            Percentiles tx = new TransactionalRoundTrip(context.bootstrap()).measure(samples);
            Map<String, BenchResult.Latency> worker = new LinkedHashMap<>();
            try (WorkerHops hops = new WorkerHops(context.bootstrap(), HOP_TIMEOUT)) {
                for (String pool : List.of(Topics.MODEL_POOL, Topics.TOOLS_POOL)) {
                    context.say("Measuring %d worker hops of pool %s", samples, pool);
                    worker.put(pool, BenchResult.Latency.of(hops.measure(pool, samples)));
                }
            }
            Map<String, BenchResult.Latency> engine = new LinkedHashMap<>();
            List<String> failures;
            try (EngineHops hops = new EngineHops(context.bootstrap(), load, holdVersion, context.idPrefix("hop"))) {
                hops.probe(Readiness.PROBE_TIMEOUT);
                context.say("Measuring %d engine hops of each kind", samples);
                EngineHops.Samples measured = hops.measure(samples, Readiness.timeoutFor(samples, 2, HOP_TIMEOUT));
                engine.put("start", BenchResult.Latency.of(measured.start()));
                engine.put("result", BenchResult.Latency.of(measured.result()));
                failures = measured.failures().stream()
                        .limit(SessionLoad.MAX_QUOTED_FAILURES)
                        .toList();
            }
            context.requireAlive();
            Measured measured = new Measured(samples, BenchResult.Latency.of(tx), worker, engine, failures);
            Map<String, Object> highlights = new LinkedHashMap<>();
            highlights.put("txRoundTripP50Ms", measured.txRoundTripMs().p50());
            highlights.put("modelWorkerHopP50Ms", worker.get(Topics.MODEL_POOL).p50());
            highlights.put("toolsWorkerHopP50Ms", worker.get(Topics.TOOLS_POOL).p50());
            highlights.put("engineStartHopP50Ms", engine.get("start").p50());
            highlights.put("engineResultHopP50Ms", engine.get("result").p50());
            return new Result(List.of(), highlights, measured);
        }
    }
}
