package io.agentlog.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One scenario's result file: how it went, on what, under which load, its targets next to the measured values and
 * everything it measured.
 *
 * @param scenario its name
 * @param status {@code ok}; {@code failed} with {@code error}; {@code skipped} with the reason in {@code error}
 *     (the scenario cannot run on the given stack)
 * @param quick whether the run used the quick sizes
 * @param date when it started, ISO-8601 UTC
 * @param seconds how long it took, the stack's start and stop included
 * @param stack what it ran on
 * @param loadAverage the machine's 1/5/15-minute load averages before and after (others may share the cores)
 * @param highlights a few headline numbers
 * @param measured everything it measured (absent when it failed)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
    "scenario",
    "status",
    "error",
    "quick",
    "date",
    "seconds",
    "stack",
    "loadAverage",
    "machine",
    "targets",
    "highlights",
    "measured"
})
public record ScenarioReport(
        String scenario,
        String status,
        String error,
        boolean quick,
        String date,
        double seconds,
        String stack,
        LoadAverage loadAverage,
        BenchResult.Machine machine,
        List<Target> targets,
        Map<String, Object> highlights,
        Object measured) {

    public static final String OK = "ok";
    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";

    public ScenarioReport {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(status, "status");
        targets = List.copyOf(targets);
        highlights = highlights == null ? Map.of() : java.util.Collections.unmodifiableMap(highlights);
        seconds = Json.round(seconds, 1);
    }

    /** It ran to the end, or could not run on this stack at all; it did not break. */
    public boolean succeeded() {
        return !FAILED.equals(status);
    }

    public String toJson() {
        return Json.compact(this);
    }

    /** The machine's load averages (1, 5, 15 minutes) before and after a run; empty where unknown. */
    public record LoadAverage(List<Double> before, List<Double> after) {

        public LoadAverage {
            before = List.copyOf(before);
            after = List.copyOf(after);
        }
    }
}
