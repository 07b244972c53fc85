package io.agentlog.worker.model;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RetriableException;
import io.agentlog.schemas.Secrets;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What a failed model call was, for every provider that calls an endpoint through LangChain4j: retryable or terminal,
 * with the endpoint's {@code Retry-After}, in a message that never carries the endpoint's key.
 */
final class ModelCallFailures {

    private static final int MAX_ERROR_BODY_CHARS = 500;

    private ModelCallFailures() {}

    /**
     * Transient (I/O errors, timeouts, HTTP 5xx, 429 and 408; with the endpoint's {@code Retry-After} when it sent
     * one) or terminal (everything else, e.g. HTTP 400 or 401). The message never carries the endpoint's key.
     */
    static RuntimeException classify(RuntimeException error, ModelEndpoint endpoint, String modelName, Instant now) {
        String key = endpoint.apiKey().map(Credential::value).orElse(null);
        HttpException http = find(error, HttpException.class);
        String what = "model '" + modelName + "' at " + endpoint.describe() + " (" + endpoint.baseUrl() + ")";
        if (http != null) {
            String message = Secrets.redact(
                    what + " answered HTTP " + http.statusCode() + ": " + excerpt(http.getMessage()), key);
            boolean transientStatus = http.statusCode() == 429 || http.statusCode() == 408 || http.statusCode() >= 500;
            if (!transientStatus) {
                return new TerminalWorkException(message + hint(http.statusCode(), endpoint), error);
            }
            Optional<Duration> retryAfter =
                    http instanceof EndpointHttpException withHeaders ? withHeaders.retryAfter(now) : Optional.empty();
            return retryAfter
                    .map(wait -> new RetryableWorkException(message, wait, error))
                    .orElseGet(() -> new RetryableWorkException(message, error));
        }
        if (find(error, RetriableException.class) != null || find(error, IOException.class) != null) {
            return new RetryableWorkException(
                    Secrets.redact("cannot reach " + what + ": " + rootMessage(error), key), error);
        }
        return new TerminalWorkException(
                Secrets.redact("the call to " + what + " failed: " + rootMessage(error), key), error);
    }

    private static String hint(int status, ModelEndpoint endpoint) {
        return switch (status) {
            case 401, 403 ->
                " (check the API key of " + endpoint.describe() + ": "
                        + endpoint.apiKey()
                                .map(k -> "it comes from " + k.source())
                                .orElse("it has none") + ")";
            case 404 -> " (check the model name and that the endpoint's base URL ends with /v1)";
            default -> "";
        };
    }

    private static <T extends Throwable> T find(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + excerpt(root.getMessage()));
    }

    private static String excerpt(String text) {
        if (text == null) {
            return "";
        }
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= MAX_ERROR_BODY_CHARS ? oneLine : oneLine.substring(0, MAX_ERROR_BODY_CHARS) + "...";
    }
}
