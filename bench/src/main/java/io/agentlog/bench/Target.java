package io.agentlog.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * One target of the performance issue next to what a run measured. {@code met} compares the two as the target
 * reads; it is a report, never an assertion: a run that misses a target still succeeds.
 *
 * @param name short and stable, e.g. {@code stepsPerSecond}
 * @param target the target as the issue states it, e.g. {@code >= 2500 steps/s with 10000 concurrent sessions}
 * @param measured the value measured; null when it could not be (then {@code met} is null too)
 * @param unit of {@code measured}
 * @param met whether the measured value meets the target
 * @param note how it was measured when that differs from the target's conditions (fewer sessions with
 *     {@code --quick}, an extrapolation)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "target", "measured", "unit", "met", "note"})
public record Target(String name, String target, Double measured, String unit, Boolean met, String note) {

    public Target {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(unit, "unit");
        measured = measured == null ? null : Json.round(measured, 3);
        if (measured == null) {
            met = null;
        }
    }

    /** A target met when {@code measured <= limit}. */
    static Target atMost(String name, String target, double limit, Double measured, String unit, String note) {
        return new Target(name, target, measured, unit, measured == null ? null : measured <= limit, note);
    }

    /** A target met when {@code measured < limit}. */
    static Target below(String name, String target, double limit, Double measured, String unit, String note) {
        return new Target(name, target, measured, unit, measured == null ? null : measured < limit, note);
    }

    /** A target met when {@code measured >= floor}. */
    static Target atLeast(String name, String target, double floor, Double measured, String unit, String note) {
        return new Target(name, target, measured, unit, measured == null ? null : measured >= floor, note);
    }
}
