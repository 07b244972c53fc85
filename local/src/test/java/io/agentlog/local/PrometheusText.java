package io.agentlog.local;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A scrape in the Prometheus text format, by series: {@code name{label="value",...}} as the registry writes it (labels
 * in name order) to its value.
 */
final class PrometheusText {

    private final Map<String, Double> series = new LinkedHashMap<>();

    PrometheusText(String text) {
        text.lines().filter(line -> !line.isBlank() && !line.startsWith("#")).forEach(line -> {
            int space = line.lastIndexOf(' ');
            series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        });
    }

    /** The series' value; 0 when the scrape does not have it (a counter not yet counted). */
    double value(String name) {
        return series.getOrDefault(name, 0.0);
    }

    /** How much the series grew since {@code before}. */
    double increase(PrometheusText before, String name) {
        return value(name) - before.value(name);
    }

    /** How much each series grew since {@code before}. */
    Map<String, Double> increases(PrometheusText before, Collection<String> names) {
        return names.stream().collect(Collectors.toMap(name -> name, name -> increase(before, name)));
    }

    /** The metric names of every series. */
    Set<String> names() {
        return series.keySet().stream()
                .map(key -> key.contains("{") ? key.substring(0, key.indexOf('{')) : key)
                .collect(Collectors.toSet());
    }
}
