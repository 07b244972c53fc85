package io.agentlog.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Measures what a window of a scenario cost the stack: a {@link Snapshot} before and one after (each process's CPU
 * time, the broker's request counts), then {@link #cost} of the difference. A target without known processes gives
 * costs that say so.
 */
final class StackMeter implements AutoCloseable {

    /** Counters at one moment: CPU-ms per process name, broker requests per type (empty when unknown). */
    record Snapshot(long nanos, Map<String, Long> cpuMillis, Map<String, Long> brokerRequests) {

        static final Snapshot ZERO = new Snapshot(0, Map.of(), Map.of());

        Snapshot {
            cpuMillis = Map.copyOf(cpuMillis);
            brokerRequests = Map.copyOf(brokerRequests);
        }

        /**
         * Both counters added up, so that the cost between the sum of the windows' starts and the sum of their ends
         * is the cost of all the windows together.
         */
        Snapshot plus(Snapshot other) {
            Map<String, Long> cpu = new TreeMap<>(cpuMillis);
            other.cpuMillis.forEach((k, v) -> cpu.merge(k, v, Long::sum));
            Map<String, Long> requests = new TreeMap<>(brokerRequests);
            other.brokerRequests.forEach((k, v) -> requests.merge(k, v, Long::sum));
            return new Snapshot(nanos + other.nanos, cpu, requests);
        }
    }

    private final BenchTarget target;
    private final Optional<JmxProbe> broker;

    StackMeter(BenchTarget target) {
        this.target = target;
        this.broker = target.broker()
                .filter(b -> b.jmxPort().isPresent())
                .map(b -> JmxProbe.connect(
                        "the broker (pid " + b.pid() + ")", b.jmxPort().getAsInt()));
    }

    /** Reads every counter now; cheap for CPU, a JMX round trip per request type for the broker. */
    Snapshot snapshot() {
        return snapshot(true);
    }

    /** Reads the CPU counters, and the broker's request counts when {@code withRequests}. */
    Snapshot snapshot(boolean withRequests) {
        Map<String, Long> cpu = new LinkedHashMap<>();
        for (StackProcess process : target.processes()) {
            OptionalLong millis = ProcFs.cpuMillis(process.pid());
            if (millis.isPresent()) {
                cpu.put(process.name(), millis.getAsLong());
            }
        }
        Map<String, Long> requests =
                withRequests && broker.isPresent() ? broker.get().requestCounts() : Map.of();
        return new Snapshot(System.nanoTime(), cpu, requests);
    }

    /**
     * Waits {@code settle} (the sizes' {@code idleSettle}), then sleeps for {@code window} with nothing to do, and
     * says what the stack spent in the window.
     */
    Cost idle(SuiteSizes sizes) {
        // the tail of earlier work (start-up, warm-up, a last commit) passes first
        Pause.pause(sizes.idleSettle(), "measuring the idle stack");
        Duration window = sizes.idle();
        Snapshot from = snapshot();
        Pause.pause(window, "measuring the idle stack"); // the measurement is of the stack doing nothing this long
        return cost(from, snapshot(), 0, "none");
    }

    /** What the window from {@code from} to {@code to} cost, per {@code unit} of which it did {@code units}. */
    Cost cost(Snapshot from, Snapshot to, long units, String unit) {
        return between(from, to, units, unit, target.processes().isEmpty());
    }

    static Cost between(Snapshot from, Snapshot to, long units, String unit, boolean noProcesses) {
        if (noProcesses) {
            return Cost.notMeasured(
                    "the stack's processes are not known (--bootstrap-servers): no CPU or request " + "counts");
        }
        double seconds = Math.max(to.nanos() - from.nanos(), 1) / 1e9;
        List<Cost.ProcessCpu> cpu = new ArrayList<>();
        long total = 0;
        for (var entry : to.cpuMillis().entrySet()) {
            Long before = from.cpuMillis().get(entry.getKey());
            if (before == null) {
                continue;
            }
            long used = entry.getValue() - before;
            total += used;
            cpu.add(processCpu(entry.getKey(), used, seconds, units));
        }
        if (!cpu.isEmpty()) {
            cpu.add(processCpu(Cost.TOTAL, total, seconds, units));
        }
        Cost.BrokerRequests requests = null;
        if (!from.brokerRequests().isEmpty() || !to.brokerRequests().isEmpty()) {
            Map<String, Double> byType = new TreeMap<>();
            long all = 0;
            for (var entry : to.brokerRequests().entrySet()) {
                long delta = entry.getValue() - from.brokerRequests().getOrDefault(entry.getKey(), 0L);
                if (delta > 0) {
                    all += delta;
                    byType.put(entry.getKey(), Json.round(units > 0 ? (double) delta / units : delta / seconds, 3));
                }
            }
            requests = new Cost.BrokerRequests(all, all / seconds, units > 0 ? (double) all / units : null, byType);
        }
        String note = requests == null ? "the broker's request counts are not known (no JMX connector)" : null;
        return new Cost(seconds, unit, units, cpu, requests, note);
    }

    private static Cost.ProcessCpu processCpu(String name, long cpuMs, double seconds, long units) {
        return new Cost.ProcessCpu(name, cpuMs, cpuMs / (seconds * 1000), units > 0 ? (double) cpuMs / units : null);
    }

    @Override
    public void close() {
        broker.ifPresent(JmxProbe::close);
    }
}
