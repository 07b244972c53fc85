package io.agentlog.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** How the benchmark suite writes JSON: records as objects, numbers rounded where they are made. */
final class Json {

    private static final ObjectMapper COMPACT = mapper().disable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper PRETTY = mapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    private static ObjectMapper mapper() {
        return new ObjectMapper();
    }

    /** One line. */
    static String compact(Object value) {
        try {
            return COMPACT.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a benchmark result as JSON: " + e.getMessage(), e);
        }
    }

    /** Indented, for the files. */
    static String pretty(Object value) {
        try {
            return PRETTY.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a benchmark result as JSON: " + e.getMessage(), e);
        }
    }

    static double round(double value) {
        return round(value, 2);
    }

    static double round(double value, int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return value;
        }
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }
}
