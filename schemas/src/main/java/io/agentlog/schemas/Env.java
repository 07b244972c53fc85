package io.agentlog.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads {@code AGENTLOG_*} settings from an environment map, the one way every process does: blank counts as unset,
 * values are stripped, and a malformed number fails with a message that names the variable and quotes the value.
 */
public record Env(Map<String, String> values) {

    public Optional<String> text(String name) {
        String value = values.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    public String text(String name, String fallback) {
        return text(name).orElse(fallback);
    }

    public int integer(String name, int fallback) {
        long value = number(name, fallback);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be a whole number, but was '" + value + "'");
        }
        return (int) value;
    }

    public long number(String name, long fallback) {
        Optional<String> text = text(name);
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            return Long.parseLong(text.get());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, but was '" + text.get() + "'");
        }
    }

    /** {@code true} or {@code false} (any case); unset means {@code fallback}. */
    public boolean bool(String name, boolean fallback) {
        Optional<String> text = text(name);
        if (text.isEmpty()) {
            return fallback;
        }
        return switch (text.get().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default ->
                throw new IllegalArgumentException(name + " must be true or false, but was '" + text.get() + "'");
        };
    }

    public Duration millis(String name, Duration fallback) {
        Optional<String> text = text(name);
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            return Duration.ofMillis(Long.parseLong(text.get()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    name + " must be a whole number of milliseconds, but was '" + text.get() + "'");
        }
    }

    /**
     * A port to listen on, or empty for {@code off} (any case); unset means {@code fallback}. 0 picks a free port.
     */
    public OptionalInt port(String name, String fallback) {
        String value = text(name, fallback);
        if (value.equalsIgnoreCase("off")) {
            return OptionalInt.empty();
        }
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65_535) {
                return OptionalInt.of(port);
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + " must be a port (0-65535) or 'off', but was '" + value + "'");
    }

    /** The non-blank entries of a comma-separated list, stripped. */
    public static List<String> commaList(String value) {
        List<String> entries = new ArrayList<>();
        for (String entry : value.split(",")) {
            if (!entry.isBlank()) {
                entries.add(entry.strip());
            }
        }
        return entries;
    }
}
