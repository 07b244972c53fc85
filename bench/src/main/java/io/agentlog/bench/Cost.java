package io.agentlog.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the stack's processes spent in one measured window: CPU per process (from {@code /proc/<pid>/stat}) and the
 * broker's requests by type (its {@code RequestsPerSec} meters over JMX), in all, per second, and per unit of work
 * (a step, a session). Absent parts were not measured: a stack the benchmark did not start has no known processes.
 *
 * @param seconds the window's length
 * @param unit what {@code units} counts: {@code step}, {@code session}, or {@code none} for an idle window
 * @param units work done in the window
 * @param cpu per process, then {@code total}: CPU-ms, cores (CPU-ms / window ms) and CPU-ms per unit
 * @param brokerRequests requests the broker received in the window; null when its JMX connector is unknown
 * @param note why parts are missing
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"seconds", "unit", "units", "cpu", "brokerRequests", "note"})
public record Cost(
        double seconds, String unit, long units, List<ProcessCpu> cpu, BrokerRequests brokerRequests, String note) {

    public static final String TOTAL = "total";

    public Cost {
        Objects.requireNonNull(unit, "unit");
        cpu = List.copyOf(cpu);
        seconds = Json.round(seconds);
    }

    /** Nothing could be measured, for this reason. */
    static Cost notMeasured(String note) {
        return new Cost(0, "none", 0, List.of(), null, note);
    }

    /** The CPU of the named process (or {@link #TOTAL}), if measured. */
    public java.util.Optional<ProcessCpu> cpuOf(String process) {
        return cpu.stream().filter(c -> c.process().equals(process)).findFirst();
    }

    /**
     * One process's CPU in the window.
     *
     * @param process its name, or {@code total}
     * @param cpuMs CPU time used, user + system (10 ms resolution)
     * @param cores {@code cpuMs / window ms}: 1.0 is one core busy all the time
     * @param msPerUnit {@code cpuMs / units}; null without units
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"process", "cpuMs", "cores", "msPerUnit"})
    public record ProcessCpu(String process, long cpuMs, double cores, Double msPerUnit) {

        public ProcessCpu {
            cores = Json.round(cores, 3);
            msPerUnit = msPerUnit == null ? null : Json.round(msPerUnit, 3);
        }
    }

    /**
     * @param total requests of every type
     * @param perSecond {@code total / seconds}
     * @param perUnit {@code total / units}; null without units
     * @param byType per request type: per unit with units, else per second; types with none left out
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"total", "perSecond", "perUnit", "byType"})
    public record BrokerRequests(long total, double perSecond, Double perUnit, Map<String, Double> byType) {

        public BrokerRequests {
            perSecond = Json.round(perSecond);
            perUnit = perUnit == null ? null : Json.round(perUnit, 3);
            byType = new TreeMap<>(byType);
        }
    }
}
