package io.agentlog.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * The summary of a run of one or more scenarios ({@code summary.json}, and what {@code bench all} prints): each
 * scenario's status, targets and headline numbers, and where its full result is.
 *
 * @param resultsDir the directory of this run's files
 * @param entries one per scenario, in the order they ran
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
    "benchmark",
    "quick",
    "date",
    "seconds",
    "resultsDir",
    "loadAverage",
    "machine",
    "targetsMet",
    "targetsMissed",
    "scenarios"
})
public record SuiteSummary(
        String benchmark,
        boolean quick,
        String date,
        double seconds,
        String resultsDir,
        ScenarioReport.LoadAverage loadAverage,
        BenchResult.Machine machine,
        int targetsMet,
        int targetsMissed,
        List<Entry> scenarios) {

    public static final String NAME = "suite";

    public SuiteSummary {
        scenarios = List.copyOf(scenarios);
        seconds = Json.round(seconds, 1);
    }

    static SuiteSummary of(
            boolean quick,
            String date,
            double seconds,
            String resultsDir,
            ScenarioReport.LoadAverage loadAverage,
            List<Entry> entries) {
        int met = 0;
        int missed = 0;
        for (Entry entry : entries) {
            for (Target target : entry.targets()) {
                if (Boolean.TRUE.equals(target.met())) {
                    met++;
                } else if (Boolean.FALSE.equals(target.met())) {
                    missed++;
                }
            }
        }
        return new SuiteSummary(
                NAME,
                quick,
                date,
                seconds,
                resultsDir,
                loadAverage,
                BenchResult.Machine.current(),
                met,
                missed,
                entries);
    }

    /** True when no scenario failed (whatever its numbers; a skipped one is not a failure). */
    public boolean allSucceeded() {
        return scenarios.stream().noneMatch(e -> ScenarioReport.FAILED.equals(e.status()));
    }

    public String toJson() {
        return Json.compact(this);
    }

    /**
     * @param file the scenario's result file, relative to {@code resultsDir}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"scenario", "status", "error", "seconds", "file", "targets", "highlights"})
    public record Entry(
            String scenario,
            String status,
            String error,
            double seconds,
            String file,
            List<Target> targets,
            Map<String, Object> highlights) {

        public Entry {
            targets = List.copyOf(targets);
        }

        static Entry of(ScenarioReport report, String file) {
            return new Entry(
                    report.scenario(),
                    report.status(),
                    report.error(),
                    report.seconds(),
                    file,
                    report.targets(),
                    report.highlights());
        }
    }
}
