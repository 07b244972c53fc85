package io.agentlog.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of one {@code steps} benchmark run, rendered as one JSON object by {@link #toJson()}.
 *
 * @param benchmark always {@code "steps"}
 * @param sessions sessions measured (warm-up sessions excluded)
 * @param stepsPerSession tool-calling model turns per session (each session then ends with one text turn)
 * @param concurrency most sessions in flight at once
 * @param warmupSessions sessions run (and not measured) before the measured ones
 * @param completed sessions whose result was {@code COMPLETED}
 * @param failed sessions whose result was anything else
 * @param timedOut sessions without a result when the run's timeout ran out
 * @param steps step latencies measured (one per pair of consecutive model turns of a session)
 * @param wallSeconds from the first submit to the last result seen
 * @param stepsPerSecond {@code steps / wallSeconds}
 * @param stepLatencyMs time between consecutive {@code ModelRequested} events of a session (engine clock)
 * @param modelHopMs within a step: {@code ModelRequested} to {@code ModelResponded} (engine to model worker and back)
 * @param toolHopMs within a step: {@code ToolRequested} to {@code ToolCompleted} (engine to tools worker and back)
 * @param sessionLatencyMs from sending a task to seeing its result (this process's clock)
 * @param txRoundTripMs the floor: a transactional produce and commit until a read_committed consumer has it
 * @param failures the first few failures, each {@code sessionId STATUS: error}
 * @param machine where it ran
 * @param date when it ran, ISO-8601 UTC
 */
@JsonPropertyOrder({
    "benchmark",
    "sessions",
    "stepsPerSession",
    "concurrency",
    "warmupSessions",
    "completed",
    "failed",
    "timedOut",
    "steps",
    "wallSeconds",
    "stepsPerSecond",
    "stepLatencyMs",
    "modelHopMs",
    "toolHopMs",
    "sessionLatencyMs",
    "txRoundTripMs",
    "failures",
    "machine",
    "date"
})
public record BenchResult(
        String benchmark,
        int sessions,
        int stepsPerSession,
        int concurrency,
        int warmupSessions,
        int completed,
        int failed,
        int timedOut,
        long steps,
        double wallSeconds,
        double stepsPerSecond,
        Latency stepLatencyMs,
        Latency modelHopMs,
        Latency toolHopMs,
        Latency sessionLatencyMs,
        Latency txRoundTripMs,
        List<String> failures,
        Machine machine,
        String date) {

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    public BenchResult {
        Objects.requireNonNull(benchmark, "benchmark");
        Objects.requireNonNull(stepLatencyMs, "stepLatencyMs");
        Objects.requireNonNull(modelHopMs, "modelHopMs");
        Objects.requireNonNull(toolHopMs, "toolHopMs");
        Objects.requireNonNull(sessionLatencyMs, "sessionLatencyMs");
        Objects.requireNonNull(txRoundTripMs, "txRoundTripMs");
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(date, "date");
        failures = List.copyOf(failures);
        wallSeconds = round(wallSeconds);
        stepsPerSecond = round(stepsPerSecond);
    }

    /** One line of JSON. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render the benchmark result as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Latency percentiles in milliseconds, rounded to 0.01 ms. With no samples (every session failed, say) only
     * {@code count} is present in the JSON: a percentile of nothing is not a number.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"count", "p50", "p99", "max"})
    public record Latency(int count, Double p50, Double p99, Double max) {

        public static Latency of(Percentiles samples) {
            if (samples.isEmpty()) {
                return new Latency(0, null, null, null);
            }
            return new Latency(
                    samples.count(),
                    round(samples.percentile(50)),
                    round(samples.percentile(99)),
                    round(samples.max()));
        }
    }

    /** The machine the run measured: numbers from a 2-core laptop and a 32-core server do not compare. */
    @JsonPropertyOrder({"cores", "javaVersion", "os"})
    public record Machine(int cores, String javaVersion, String os) {

        public static Machine current() {
            return new Machine(
                    Runtime.getRuntime().availableProcessors(),
                    Runtime.version().toString(),
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"));
        }
    }

    static double round(double value) {
        return Math.round(value * 100.0) / 100.0;
    }
}
