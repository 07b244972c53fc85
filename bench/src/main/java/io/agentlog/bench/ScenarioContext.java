package io.agentlog.bench;

import java.util.UUID;
import java.util.function.Consumer;

/**
 * What a scenario runs with: its stack, the sizes of this run, where progress lines go, a run id that keeps its
 * session ids apart from any earlier run's, and the engine's application id (which names its changelog topics).
 */
record ScenarioContext(
        BenchTarget target, SuiteSizes sizes, Consumer<String> progress, String runId, String applicationId) {

    static ScenarioContext of(BenchTarget target, SuiteSizes sizes, Consumer<String> progress, String applicationId) {
        return new ScenarioContext(
                target, sizes, progress, UUID.randomUUID().toString().substring(0, 8), applicationId);
    }

    String bootstrap() {
        return target.bootstrapServers();
    }

    /** Session ids {@code bench-<run>-<kind>-<n>}. */
    String idPrefix(String kind) {
        return "bench-" + runId + "-" + kind + "-";
    }

    void say(String format, Object... args) {
        progress.accept(format.formatted(args));
    }

    /** Fails with the reason when a process of the stack died under the scenario. */
    void requireAlive() {
        target.deadProcess().ifPresent(why -> {
            throw new BenchException("the stack broke during the benchmark: " + why);
        });
    }
}
