package io.agentlog.bench;

import java.time.Duration;

/**
 * How big each scenario of a run is: {@link #full()} at the sizes the performance issue's targets name, or
 * {@link #quick()} for a run of minutes. The targets are stated for the full sizes; a quick run reports its numbers
 * next to them with a note.
 *
 * @param throughputSessions sessions in flight at once in {@code throughput}
 * @param throughputSteps tool-calling turns per session in {@code throughput}
 * @param floorSamples samples of each hop in {@code floors}
 * @param latencySessions 1-step sessions in {@code latency}, and samples of each hop there
 * @param latencyRounds rounds {@code latency} interleaves hops and sessions in, so both see the same load
 * @param parkedSessions sessions parked at once in {@code parked}
 * @param recoverySessions live sessions when {@code recovery} kills an engine
 * @param recoveryWindow how long {@code recovery} watches the sessions step before the kill
 * @param historySessions sessions of 200 turns in {@code history}
 * @param historyTurns tool-calling turns per session in {@code history}
 * @param historyWindow turns per window compared in {@code history} (the first and the last)
 * @param idle how long each scenario watches the idle stack
 * @param idleSettle how long the stack rests first, after its start and warm-up: the JIT, the collector and the
 *     broker's start-up work fade only after tens of seconds, and a few seconds in, the idle cost read twice the steady
 *     one (0.18-0.19 cores against 0.08-0.10 for {@code agentlog up} after a minute)
 */
public record SuiteSizes(
        int throughputSessions,
        int throughputSteps,
        int floorSamples,
        int latencySessions,
        int latencyRounds,
        int parkedSessions,
        int recoverySessions,
        Duration recoveryWindow,
        int historySessions,
        int historyTurns,
        int historyWindow,
        Duration idle,
        Duration idleSettle) {

    /** The sizes of the targets. */
    public static SuiteSizes full() {
        return new SuiteSizes(
                10_000,
                5,
                200,
                200,
                10,
                100_000,
                10_000,
                Duration.ofSeconds(30),
                8,
                200,
                25,
                Duration.ofSeconds(30),
                Duration.ofSeconds(45));
    }

    /** A few minutes in all on a small machine. */
    public static SuiteSizes quick() {
        return new SuiteSizes(
                1_000,
                5,
                100,
                50,
                5,
                5_000,
                500,
                Duration.ofSeconds(10),
                4,
                200,
                25,
                Duration.ofSeconds(5),
                Duration.ofSeconds(5));
    }

    public static SuiteSizes of(boolean quick) {
        return quick ? quick() : full();
    }

    public SuiteSizes {
        positive("throughput sessions", throughputSessions);
        StepsAgent.requireSteps(throughputSteps);
        positive("floor samples", floorSamples);
        positive("latency sessions", latencySessions);
        positive("latency rounds", latencyRounds);
        if (latencyRounds > latencySessions) {
            throw new IllegalArgumentException("latency rounds must be at most the latency sessions (" + latencySessions
                    + "), but was " + latencyRounds);
        }
        positive("parked sessions", parkedSessions);
        positive("recovery sessions", recoverySessions);
        positive("history sessions", historySessions);
        StepsAgent.requireSteps(historyTurns);
        positive("history window", historyWindow);
        if (2 * historyWindow > historyTurns) {
            throw new IllegalArgumentException("the history window must be at most half the turns (" + historyTurns
                    + "), but was " + historyWindow);
        }
        if (recoveryWindow.isNegative() || recoveryWindow.isZero() || idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("the recovery window and the idle window must be positive, but were "
                    + recoveryWindow + " and " + idle);
        }
        if (idleSettle.isNegative()) {
            throw new IllegalArgumentException("the idle settling time must not be negative, but was " + idleSettle);
        }
    }

    /**
     * These sizes with the main count of one scenario replaced: sessions of {@code throughput}, {@code latency},
     * {@code parked}, {@code recovery} or {@code history}, samples of {@code floors}.
     */
    public SuiteSizes withSessions(String scenario, int n) {
        positive("--sessions", n);
        return switch (scenario) {
            case ThroughputScenario.NAME ->
                with(
                        n,
                        floorSamples,
                        latencySessions,
                        latencyRounds,
                        parkedSessions,
                        recoverySessions,
                        historySessions);
            case FloorsScenario.NAME ->
                with(
                        throughputSessions,
                        n,
                        latencySessions,
                        latencyRounds,
                        parkedSessions,
                        recoverySessions,
                        historySessions);
            case LatencyScenario.NAME ->
                with(
                        throughputSessions,
                        floorSamples,
                        n,
                        Math.min(latencyRounds, n),
                        parkedSessions,
                        recoverySessions,
                        historySessions);
            case ParkedScenario.NAME ->
                with(
                        throughputSessions,
                        floorSamples,
                        latencySessions,
                        latencyRounds,
                        n,
                        recoverySessions,
                        historySessions);
            case RecoveryScenario.NAME ->
                with(
                        throughputSessions,
                        floorSamples,
                        latencySessions,
                        latencyRounds,
                        parkedSessions,
                        n,
                        historySessions);
            case HistoryScenario.NAME ->
                with(
                        throughputSessions,
                        floorSamples,
                        latencySessions,
                        latencyRounds,
                        parkedSessions,
                        recoverySessions,
                        n);
            default -> throw new IllegalArgumentException("no scenario is called '" + scenario + "'");
        };
    }

    /** These sizes with other counts; the steps, turns and windows stay. */
    private SuiteSizes with(
            int throughput, int floors, int latency, int rounds, int parked, int recovery, int history) {
        return new SuiteSizes(
                throughput,
                throughputSteps,
                floors,
                latency,
                rounds,
                parked,
                recovery,
                recoveryWindow,
                history,
                historyTurns,
                historyWindow,
                idle,
                idleSettle);
    }

    private static void positive(String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, but was " + value);
        }
    }
}
