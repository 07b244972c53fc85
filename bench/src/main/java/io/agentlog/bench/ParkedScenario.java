package io.agentlog.bench;

import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolRequested;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;

/**
 * {@code parked}: N sessions of {@link HoldAgent} submitted at once, each waiting on a tool call no worker serves
 * (timeout hours). When every one's {@code ToolRequested} is visible, the engine's heap is measured after a full
 * collection (over its JMX connector), with its resident memory, its state directory and its changelog topics on the
 * broker, each before the sessions (baseline) and with all of them parked.
 */
final class ParkedScenario implements Scenario {

    static final String NAME = "parked";
    /** Room to measure a live heap beyond the target instead of dying at it. */
    static final String ENGINE_HEAP = "2g";

    static final long TARGET_HEAP_BYTES = 512L * 1024 * 1024;
    static final int TARGET_SESSIONS = 100_000;

    /**
     * @param sessions submitted; {@code parked} whose {@code ToolRequested} was seen; {@code ended} that ended instead
     * @param secondsToPark from the first task sent until the last session parked
     * @param engineMaxHeap the engine's {@code -Xmx} in this run
     * @param heapAfterGcBytes the engine's used heap after a full collection
     * @param rssBytes the engine process's resident memory
     * @param stateDirBytes the engine's state directory (RocksDB files)
     * @param changelogBytes the engine's changelog topics on the broker, all partitions
     * @param changelogBytesByTopic with all sessions parked
     * @param heapAt100kBytes the heap the per-session growth implies at 100,000 sessions (a linear extrapolation when
     *     fewer were parked)
     * @param cost what parking cost the stack, per session
     */
    record Measured(
            int sessions,
            int parked,
            int ended,
            List<String> failures,
            double secondsToPark,
            String engineMaxHeap,
            Growth heapAfterGcBytes,
            Growth rssBytes,
            Growth stateDirBytes,
            Growth changelogBytes,
            Map<String, Long> changelogBytesByTopic,
            Long heapAt100kBytes,
            Cost idle,
            Cost cost,
            String note) {}

    /**
     * A quantity before the sessions and with them parked; {@code perSession} is the difference over the sessions
     * parked. Null fields were not measurable on this stack.
     */
    record Growth(Long baseline, Long parked, Double perSession) {

        static Growth of(OptionalLong baseline, OptionalLong parked, int sessions) {
            if (baseline.isEmpty() || parked.isEmpty()) {
                return new Growth(null, null, null);
            }
            double per = sessions > 0 ? (double) (parked.getAsLong() - baseline.getAsLong()) / sessions : 0;
            return new Growth(baseline.getAsLong(), parked.getAsLong(), Json.round(per, 1));
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public StackSpec stack(SuiteSizes sizes) {
        return new StackSpec(1, Map.of(), ENGINE_HEAP, List.of(HoldAgent.POOL));
    }

    @Override
    public Result run(ScenarioContext context) {
        int sessions = context.sizes().parkedSessions();
        HoldAgent.ensureTopic(context.bootstrap());
        int version = BenchStack.registerFreshAgent(context.bootstrap(), HoldAgent.NAME, HoldAgent::definition);
        Optional<StackProcess> engine =
                context.target().processes(StackProcess.Role.ENGINE).stream().findFirst();
        Optional<JmxProbe> jmx = engine.filter(e -> e.jmxPort().isPresent())
                .map(e -> JmxProbe.connect(
                        "the engine (pid " + e.pid() + ")", e.jmxPort().getAsInt()));
        try (SessionLoad load = new SessionLoad(context.bootstrap(), BenchStack.REQUEST_TIMEOUT);
                StackMeter meter = new StackMeter(context.target())) {
            Readiness.probe(context, load);
            Cost idle = meter.idle(context.sizes());
            Footprint baseline = footprint(context, engine, jmx);
            context.say(
                    "Parking %d sessions on tool %s (pool %s, no worker)", sessions, HoldAgent.TOOL, HoldAgent.POOL);
            Parking parking = new Parking(sessions, context);
            StackMeter.Snapshot from = meter.snapshot();
            long started = System.nanoTime();
            load.run(
                    HoldAgent.NAME,
                    version,
                    StepsBenchmark.ids(context.idPrefix("parked"), sessions),
                    sessions,
                    Readiness.timeoutFor(sessions, 10, Duration.ofMinutes(10)),
                    parking);
            double secondsToPark = (parking.lastParkedAt - started) / 1e9;
            StackMeter.Snapshot to = meter.snapshot();
            context.requireAlive();
            context.say("%d parked, %d ended; measuring the engine", parking.parked.size(), parking.ended);
            Footprint parked = footprint(context, engine, jmx);
            if (context.target().processes().isEmpty()) {
                // a stack the benchmark did not start keeps running: end the sessions rather than leave them parked
                context.say("Answering the %d parked calls, which ends their sessions", parking.workIds.size());
                EngineHops.answerAll(context.bootstrap(), parking.workIds);
            }
            int n = parking.parked.size();
            Growth heap = Growth.of(baseline.heap, parked.heap, n);
            Long at100k =
                    heap.perSession() == null ? null : (long) (heap.baseline() + heap.perSession() * TARGET_SESSIONS);
            Measured measured = new Measured(
                    sessions,
                    n,
                    parking.ended,
                    parking.failures,
                    Json.round(Math.max(secondsToPark, 0)),
                    engine.isPresent() ? ENGINE_HEAP : null,
                    heap,
                    Growth.of(baseline.rss, parked.rss, n),
                    Growth.of(baseline.stateDir, parked.stateDir, n),
                    Growth.of(baseline.changelogs, parked.changelogs, n),
                    parked.byTopic,
                    at100k,
                    idle,
                    meter.cost(from, to, n, "session"),
                    jmx.isEmpty()
                            ? "the engine's heap, memory and state dir are measured only on a throwaway stack"
                            : null);
            return result(measured);
        } finally {
            jmx.ifPresent(JmxProbe::close);
        }
    }

    static Result result(Measured measured) {
        Long heap = measured.heapAfterGcBytes().parked();
        boolean full = measured.parked() >= TARGET_SESSIONS;
        Long judged = full ? heap : measured.heapAt100kBytes();
        Target target = Target.below(
                "parkedHeapMiB",
                "100000 sessions parked in < 512 MiB of engine heap",
                TARGET_HEAP_BYTES / 1024.0 / 1024,
                judged == null ? null : judged / 1024.0 / 1024,
                "MiB",
                full
                        ? null
                        : "extrapolated from " + measured.parked() + " parked sessions: baseline + per-session growth"
                                + " x 100000");
        Map<String, Object> highlights = new LinkedHashMap<>();
        highlights.put("parked", measured.parked());
        highlights.put("heapAfterGcMiB", heap == null ? null : Json.round(heap / 1024.0 / 1024, 1));
        highlights.put("heapBytesPerSession", measured.heapAfterGcBytes().perSession());
        highlights.put("changelogBytesPerSession", measured.changelogBytes().perSession());
        highlights.put("stateDirBytesPerSession", measured.stateDirBytes().perSession());
        highlights.put("rssBytesPerSession", measured.rssBytes().perSession());
        return new Result(List.of(target), highlights, measured);
    }

    /** What the engine holds at one moment. */
    private record Footprint(
            OptionalLong heap,
            OptionalLong rss,
            OptionalLong stateDir,
            OptionalLong changelogs,
            Map<String, Long> byTopic) {}

    private static Footprint footprint(ScenarioContext context, Optional<StackProcess> engine, Optional<JmxProbe> jmx) {
        OptionalLong heap = jmx.map(j -> {
                    MemoryUsage usage = j.heapAfterGc();
                    return OptionalLong.of(usage.getUsed());
                })
                .orElse(OptionalLong.empty());
        OptionalLong rss = engine.map(e -> ProcFs.rssBytes(e.pid())).orElse(OptionalLong.empty());
        OptionalLong stateDir = engine.flatMap(StackProcess::stateDir)
                .map(Path::toAbsolutePath)
                .map(dir -> OptionalLong.of(ProcFs.directoryBytes(dir)))
                .orElse(OptionalLong.empty());
        Map<String, Long> byTopic;
        try (Admin admin = BenchStack.admin(context.bootstrap())) {
            List<String> changelogs = TopicFootprint.changelogs(admin, context.applicationId(), context.bootstrap());
            byTopic = TopicFootprint.bytes(admin, changelogs, context.bootstrap());
        }
        long total = byTopic.values().stream().mapToLong(Long::longValue).sum();
        return new Footprint(heap, rss, stateDir, OptionalLong.of(total), byTopic);
    }

    /** Counts sessions as they park (their hold call journaled) and ends the run when all have parked or ended. */
    static final class Parking implements SessionLoad.Listener {
        private final int sessions;
        private final ScenarioContext context;
        final Set<String> parked = new HashSet<>();
        /** The work id of each parked session's hold call. */
        final Map<String, String> workIds = new java.util.HashMap<>();

        int ended;
        final List<String> failures = new java.util.ArrayList<>();
        long lastParkedAt;
        private long lastReport = System.nanoTime();

        Parking(int sessions, ScenarioContext context) {
            this.sessions = sessions;
            this.context = context;
        }

        @Override
        public void event(String sessionId, int partition, SessionEvent event, long seenAtNanos) {
            if (event.getEvent() instanceof ToolRequested requested
                    && HoldAgent.POOL.equals(requested.getPool())
                    && parked.add(sessionId)) {
                workIds.put(sessionId, requested.getWorkId());
                lastParkedAt = seenAtNanos;
            }
        }

        @Override
        public void result(String sessionId, SessionResult result, long seenAtNanos) {
            ended++;
            parked.remove(sessionId);
            if (failures.size() < SessionLoad.MAX_QUOTED_FAILURES) {
                failures.add(sessionId + " " + result.getStatus() + ": " + result.getError());
            }
        }

        @Override
        public boolean stop(long nowNanos) {
            if (nowNanos - lastReport > 10_000_000_000L) {
                lastReport = nowNanos;
                context.say("%d of %d sessions parked", parked.size(), sessions);
            }
            return parked.size() + ended >= sessions;
        }
    }
}
