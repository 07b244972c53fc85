package io.agentlog.bench;

import java.time.Duration;

/**
 * Makes sure the stack is ready before a scenario measures: registers a fresh {@link OneStepAgent} after the
 * scenario's own agents and runs a session of it to completion. The agents topic has one partition and the engine
 * reads it in order, so once it knows the 1-step agent it knows every definition registered before it.
 */
final class Readiness {

    /** Long enough for a throwaway stack's engine and worker to start and join their groups on a busy machine. */
    static final Duration PROBE_TIMEOUT = Duration.ofMinutes(3);

    private Readiness() {}

    /** Returns the version of the 1-step agent it registered. */
    static int probe(ScenarioContext context, SessionLoad load) {
        int version = BenchStack.registerFreshAgent(context.bootstrap(), OneStepAgent.NAME, OneStepAgent::definition);
        context.say("Waiting for the engine to run a session of %s@%d", OneStepAgent.NAME, version);
        load.probe(OneStepAgent.NAME, version, context.idPrefix("probe"), PROBE_TIMEOUT);
        context.requireAlive();
        return version;
    }

    /** Runs {@code sessions} sessions of {@link StepsAgent} at {@code version}, all at once, unmeasured. */
    static void warmUp(ScenarioContext context, SessionLoad load, int version, int sessions, long steps) {
        context.say("Warming up with %d sessions of %d steps", sessions, steps);
        load.run(
                StepsAgent.NAME,
                version,
                StepsBenchmark.ids(context.idPrefix("warmup"), sessions),
                sessions,
                timeoutFor(sessions * steps, 5, Duration.ofMinutes(5)));
        context.requireAlive();
    }

    /** A generous limit for work the stack does at no less than {@code perSecond} units per second. */
    static Duration timeoutFor(long units, double perSecond, Duration atLeast) {
        Duration estimate = Duration.ofSeconds((long) Math.ceil(units / perSecond));
        return estimate.compareTo(atLeast) > 0 ? estimate : atLeast;
    }
}
