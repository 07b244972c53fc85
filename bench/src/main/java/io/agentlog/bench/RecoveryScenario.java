package io.agentlog.bench;

import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.SessionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code recovery}: two engines of one application with a standby replica of every task and N live sessions: most of
 * them parked ({@link HoldAgent}: a call no worker serves, their state in the stores, the changelogs and the
 * standbys), {@link #STEPPING} of them stepping without a pause ({@link StepsAgent}: a {@code noop} tool call per
 * turn, up to {@link StepsAgent#MAX_STEPS}). Once every stepping session has stepped, the scenario watches them for a
 * window, then SIGKILLs one engine. The stepping sessions of the partitions that engine owned (its active tasks, from
 * the streams group) are the affected ones; for each, the recovery time is from the kill to its next completed step,
 * by the journal's clock ({@code ModelRequested.at} of the next turn, written by the survivor).
 *
 * <p>Why not every live session stepping: on two cores 10,000 sessions stepping without a pause are a closed loop at
 * the CPU's limit (a step every ~8 s each); after a kill the survivor then works through a queue of 5,000 sessions'
 * next steps, and "recovery" measures that queue, which is the throughput scenario's subject. Parked sessions give the
 * takeover its full state to move, and the stepping ones time it.
 */
final class RecoveryScenario implements Scenario {

    static final String NAME = "recovery";
    static final String VICTIM = "engine-1";
    static final double TARGET_SECONDS = 10;
    static final int TARGET_SESSIONS = 10_000;
    /** Live sessions that keep stepping; the others park. */
    static final int STEPPING = 500;

    /**
     * @param sessions live sessions when the engine was killed: {@code parked} of them waiting on a call, the others
     *     stepping
     * @param steppedBeforeKill of the stepping ones, those that had completed a step before the kill
     * @param killedEngine the engine killed, with {@code killedPartitions} the session partitions it owned
     * @param affectedSessions sessions of those partitions; {@code recoveredSessions} of them stepped again in time
     * @param recoveryMs affected sessions: from the kill to their next completed step
     * @param unaffectedGapMs the survivor's own sessions: from the kill to their next step, for comparison
     * @param stepIntervalBeforeKillMs the time between a session's steps in the window before the kill
     * @param cost the window before the kill, per step
     */
    record Measured(
            int sessions,
            int parked,
            int steppedBeforeKill,
            int engines,
            int standbyReplicas,
            String killedEngine,
            Set<Integer> killedPartitions,
            int affectedSessions,
            int recoveredSessions,
            BenchResult.Latency recoveryMs,
            BenchResult.Latency unaffectedGapMs,
            BenchResult.Latency stepIntervalBeforeKillMs,
            Cost idle,
            Cost cost,
            String note) {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public StackSpec stack(SuiteSizes sizes) {
        return new StackSpec(2, Map.of("AGENTLOG_STANDBY_REPLICAS", "1"), StackSpec.DEFAULT_ENGINE_HEAP, List.of());
    }

    @Override
    public Result run(ScenarioContext context) {
        List<StackProcess> engines = context.target().processes(StackProcess.Role.ENGINE);
        if (engines.size() < 2) {
            throw new NotApplicable("recovery kills one of two engines, so it runs only on a throwaway stack it "
                    + "starts (run it without --bootstrap-servers)");
        }
        int live = context.sizes().recoverySessions();
        int sessions = Math.min(live, STEPPING);
        int toPark = live - sessions;
        HoldAgent.ensureTopic(context.bootstrap());
        int holdVersion = BenchStack.registerFreshAgent(context.bootstrap(), HoldAgent.NAME, HoldAgent::definition);
        int version = BenchStack.registerFreshAgent(
                context.bootstrap(), StepsAgent.NAME, v -> StepsAgent.definition(v, StepsAgent.MAX_STEPS));
        try (SessionLoad load = new SessionLoad(context.bootstrap(), BenchStack.REQUEST_TIMEOUT);
                StackMeter meter = new StackMeter(context.target())) {
            Readiness.probe(context, load);
            Cost idle = meter.idle(context.sizes());
            ParkedScenario.Parking parking = new ParkedScenario.Parking(toPark, context);
            if (toPark > 0) {
                context.say("Parking %d live sessions on tool %s", toPark, HoldAgent.TOOL);
                load.run(
                        HoldAgent.NAME,
                        holdVersion,
                        StepsBenchmark.ids(context.idPrefix("parked"), toPark),
                        toPark,
                        Readiness.timeoutFor(toPark, 10, Duration.ofMinutes(10)),
                        parking);
            }
            Watch watch = new Watch(context, meter, engines, sessions, parking.parked.size());
            context.say("Starting %d sessions that keep stepping", sessions);
            load.run(
                    StepsAgent.NAME,
                    version,
                    StepsBenchmark.ids(context.idPrefix("live"), sessions),
                    sessions,
                    watch.warmLimit.plus(context.sizes().recoveryWindow()).plus(watch.afterLimit),
                    watch);
            if (watch.killedAt == 0) {
                throw new BenchException("no engine was killed: " + watch.stepped.size() + " of " + sessions
                        + " sessions had stepped when the run ended");
            }
            Measured measured = watch.measured(idle);
            context.say(
                    "Killed %s (partitions %s): %d of %d affected sessions stepped again, p50 %s ms, max %s ms",
                    measured.killedEngine(),
                    measured.killedPartitions(),
                    measured.recoveredSessions(),
                    measured.affectedSessions(),
                    measured.recoveryMs().p50(),
                    measured.recoveryMs().max());
            return result(measured);
        }
    }

    static Result result(Measured measured) {
        boolean allBack = measured.recoveredSessions() == measured.affectedSessions();
        Double max = allBack && measured.recoveryMs().max() != null
                ? measured.recoveryMs().max() / 1000
                : null;
        List<String> notes = new ArrayList<>();
        if (measured.sessions() < TARGET_SESSIONS) {
            notes.add("measured with " + measured.sessions() + " live sessions, not " + TARGET_SESSIONS);
        }
        if (!allBack) {
            notes.add((measured.affectedSessions() - measured.recoveredSessions())
                    + " affected sessions had not stepped again when the scenario gave up");
        }
        Target target = Target.below(
                "recoverySeconds",
                "< 10 s from a kill -9 of an engine to the first completed step of every session it owned, with "
                        + "10000 live sessions and standbys",
                TARGET_SECONDS,
                max,
                "s",
                notes.isEmpty() ? null : String.join("; ", notes));
        Map<String, Object> highlights = new LinkedHashMap<>();
        highlights.put("affectedSessions", measured.affectedSessions());
        highlights.put("recoveryP50Ms", measured.recoveryMs().p50());
        highlights.put("recoveryMaxMs", measured.recoveryMs().max());
        highlights.put(
                "stepIntervalBeforeKillP50Ms",
                measured.stepIntervalBeforeKillMs().p50());
        highlights.put("cpuMsPerStep", ThroughputScenario.totalPerUnit(measured.cost()));
        return new Result(List.of(target), highlights, measured);
    }

    /** Follows the sessions: waits until all step, watches a window, kills an engine, times the recovery. */
    private static final class Watch implements SessionLoad.Listener {
        private final ScenarioContext context;
        private final StackMeter meter;
        private final List<StackProcess> engines;
        private final int sessions;
        private final int parked;
        final Duration warmLimit;
        final Duration afterLimit;
        private final long startedAt = System.nanoTime();

        final Map<String, Integer> partitionOf = new HashMap<>();
        final Map<String, Long> lastStepAt = new HashMap<>();
        final Set<String> stepped = new java.util.HashSet<>();
        final List<Double> intervals = new ArrayList<>();
        final Map<String, Long> firstStepAfterKill = new HashMap<>();
        long windowSteps;
        StackMeter.Snapshot windowOpened;
        long windowOpenedAt;
        StackMeter.Snapshot windowClosed;
        long killedAt;
        long killedAtNanos;
        String victim;
        Set<Integer> killedPartitions = Set.of();
        Set<String> affected = Set.of();
        String note;
        private long lastReport = System.nanoTime();

        Watch(ScenarioContext context, StackMeter meter, List<StackProcess> engines, int sessions, int parked) {
            this.context = context;
            this.meter = meter;
            this.engines = engines;
            this.sessions = sessions;
            this.parked = parked;
            this.warmLimit = Readiness.timeoutFor(2L * sessions, 10, Duration.ofMinutes(3));
            this.afterLimit = Readiness.timeoutFor(sessions, 10, Duration.ofMinutes(3));
        }

        @Override
        public void event(String sessionId, int partition, SessionEvent event, long seenAtNanos) {
            partitionOf.put(sessionId, partition);
            if (!(event.getEvent() instanceof ModelRequested requested) || requested.getTurn() == 0) {
                return;
            }
            long at = event.getAt().toEpochMilli();
            stepped.add(sessionId);
            Long previous = lastStepAt.put(sessionId, at);
            if (windowOpened != null && killedAt == 0 && previous != null) {
                intervals.add((double) (at - previous));
                windowSteps++;
            }
            if (killedAt != 0 && at > killedAt) {
                firstStepAfterKill.putIfAbsent(sessionId, at - killedAt);
            }
        }

        @Override
        public boolean stop(long nowNanos) {
            if (nowNanos - lastReport > 10_000_000_000L) {
                lastReport = nowNanos;
                context.say(
                        killedAt == 0 ? "%d of %d sessions have stepped" : "%d of %d sessions stepped since the kill",
                        killedAt == 0 ? stepped.size() : firstStepAfterKill.size(),
                        sessions);
            }
            if (windowOpened == null) {
                boolean warm = stepped.size() >= sessions;
                if (warm || nowNanos - startedAt > warmLimit.toNanos()) {
                    if (!warm) {
                        note = "only " + stepped.size() + " of " + sessions + " sessions had stepped after "
                                + warmLimit.toSeconds() + " s; the engine was killed anyway";
                    }
                    context.say(
                            "Watching the sessions step for %d s before the kill",
                            context.sizes().recoveryWindow().toSeconds());
                    windowOpened = meter.snapshot();
                    windowOpenedAt = nowNanos;
                }
                return false;
            }
            if (killedAt == 0) {
                if (nowNanos - windowOpenedAt
                        >= context.sizes().recoveryWindow().toNanos()) {
                    kill();
                }
                return false;
            }
            return affected.stream().allMatch(firstStepAfterKill::containsKey)
                    || nowNanos - killedAtNanos > afterLimit.toNanos();
        }

        private void kill() {
            windowClosed = meter.snapshot();
            Map<String, EngineOwnership.Member> members =
                    EngineOwnership.members(context.bootstrap(), context.applicationId());
            StackProcess chosen = engines.stream()
                    .filter(e -> e.name().equals(VICTIM))
                    .findFirst()
                    .orElse(engines.getFirst());
            victim = chosen.name();
            Optional<String> processId =
                    chosen.stateDir().flatMap(dir -> EngineOwnership.processId(dir, context.applicationId()));
            Optional<EngineOwnership.Member> member = processId.map(members::get);
            if (member.isPresent()) {
                killedPartitions = new TreeSet<>(member.get().active());
            } else {
                note = (note == null ? "" : note + "; ")
                        + "the killed engine's partitions are unknown (no process id in its state dir, or not a "
                        + "member of " + context.applicationId() + "): every session counts as affected";
                killedPartitions = null;
            }
            context.say(
                    "Killing %s (pid %d), which owns session partitions %s",
                    victim, chosen.pid(), killedPartitions == null ? "?" : killedPartitions);
            // the sessions of the killed engine's partitions (every session when those are unknown)
            affected = new java.util.HashSet<>();
            partitionOf.forEach((session, partition) -> {
                if (killedPartitions == null || killedPartitions.contains(partition)) {
                    affected.add(session);
                }
            });
            killedAt = context.target().killEngine(victim);
            killedAtNanos = System.nanoTime();
        }

        Measured measured(Cost idle) {
            List<Double> recovery = new ArrayList<>();
            List<Double> unaffected = new ArrayList<>();
            for (var entry : firstStepAfterKill.entrySet()) {
                (affected.contains(entry.getKey()) ? recovery : unaffected).add((double) entry.getValue());
            }
            return new Measured(
                    sessions + parked,
                    parked,
                    stepped.size(),
                    engines.size(),
                    1,
                    victim,
                    killedPartitions == null ? Set.of() : killedPartitions,
                    affected.size(),
                    recovery.size(),
                    BenchResult.Latency.of(Percentiles.of(recovery)),
                    BenchResult.Latency.of(Percentiles.of(unaffected)),
                    BenchResult.Latency.of(Percentiles.of(intervals)),
                    idle,
                    meter.cost(windowOpened, windowClosed, windowSteps, "step"),
                    note);
        }
    }
}
