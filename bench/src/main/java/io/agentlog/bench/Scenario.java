package io.agentlog.bench;

import java.util.List;
import java.util.Map;

/** One benchmark of the suite: the stack it wants, and how it measures on it. */
interface Scenario {

    /** Stable, lower case: the subcommand and the result file's name. */
    String name();

    /** The throwaway stack it runs on unless a running one is given. */
    StackSpec stack(SuiteSizes sizes);

    /**
     * Measures. Throws {@link BenchException} when the stack is missing or broken; a number that misses its target
     * is reported, not thrown.
     */
    Result run(ScenarioContext context);

    /** The scenario cannot run on this stack (e.g. it must kill an engine of a stack it did not start). */
    final class NotApplicable extends RuntimeException {

        private static final long serialVersionUID = 1L;

        NotApplicable(String message) {
            super(message);
        }
    }

    /**
     * What a scenario measured.
     *
     * @param targets the targets it speaks to, with the measured values
     * @param highlights a few headline numbers for the summary
     * @param measured everything, as a record rendered to JSON
     */
    record Result(List<Target> targets, Map<String, Object> highlights, Object measured) {

        public Result {
            targets = List.copyOf(targets);
            highlights = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(highlights));
        }
    }
}
