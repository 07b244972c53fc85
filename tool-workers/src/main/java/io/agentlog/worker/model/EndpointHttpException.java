package io.agentlog.worker.model;

import dev.langchain4j.exception.HttpException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A non-2xx answer of a model endpoint that, unlike LangChain4j's {@link HttpException} (status and body only, in
 * 1.19.0), keeps the response headers, so the worker can honour {@code Retry-After}. Thrown by
 * {@link EndpointHttpClient}; LangChain4j keeps it as the cause of the exception it maps it to.
 */
final class EndpointHttpException extends HttpException {

    private final transient Map<String, List<String>> headers;

    EndpointHttpException(int statusCode, String body, Map<String, List<String>> headers) {
        super(statusCode, body);
        Map<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> {
            if (name != null) {
                copy.put(name, List.copyOf(values));
            }
        });
        this.headers = copy;
    }

    Optional<String> header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    /**
     * The endpoint's {@code Retry-After} on a 429 or 503 (the statuses it is defined for) or Anthropic's 529
     * (overloaded, which Anthropic sends it with), if it sent a usable one.
     */
    Optional<Duration> retryAfter(Instant now) {
        if (statusCode() != 429 && statusCode() != 503 && statusCode() != 529) {
            return Optional.empty();
        }
        return header("Retry-After").flatMap(value -> RetryAfter.parse(value, now));
    }
}
