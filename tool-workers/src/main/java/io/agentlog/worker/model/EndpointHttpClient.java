package io.agentlog.worker.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.CancellationUnsupportedHandle;
import dev.langchain4j.http.client.sse.ServerSentEvent;
import dev.langchain4j.http.client.sse.ServerSentEventContext;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The HTTP client of one model endpoint, on the JDK client (HTTP/1.1: many local OpenAI-compatible servers do not
 * handle the JDK client's h2c upgrade). It does what LangChain4j's {@code JdkHttpClient} does for a plain request,
 * with two differences:
 *
 * <ul>
 *   <li>a failed response becomes an {@link EndpointHttpException}, which keeps the response headers
 *       ({@code Retry-After}); LangChain4j 1.19.0's {@code HttpException} keeps only the status and the body;
 *   <li>it sends nothing but to its endpoint: a request for a URL outside the endpoint's base URL is refused before it
 *       leaves the worker, so the endpoint's credential can only ever go where the worker's operator configured.
 * </ul>
 *
 * Streamed answers ({@code stream: true}) are read on a virtual thread of their own, within the same time limit.
 */
final class EndpointHttpClient implements HttpClient {

    private final java.net.http.HttpClient client;
    private final Duration readTimeout;
    private final String allowedPrefix;

    private EndpointHttpClient(Builder builder) {
        var jdk = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .followRedirects(java.net.http.HttpClient.Redirect.NEVER);
        if (builder.connectTimeout != null) {
            jdk.connectTimeout(builder.connectTimeout);
        }
        this.client = jdk.build();
        this.readTimeout = builder.readTimeout;
        this.allowedPrefix = withSlash(builder.baseUrl);
    }

    /** A builder for the endpoint at {@code baseUrl}: requests go to URLs under it and nowhere else. */
    static Builder builder(URI baseUrl) {
        return new Builder(baseUrl.toString());
    }

    private static String withSlash(String url) {
        return url.endsWith("/") ? url : url + "/";
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) {
        HttpResponse<byte[]> response;
        try {
            response = client.send(toJdkRequest(request), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new TimeoutException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        String body = new String(response.body(), StandardCharsets.UTF_8);
        if (!successful(response)) {
            throw new EndpointHttpException(
                    response.statusCode(), body, response.headers().map());
        }
        return SuccessfulHttpResponse.builder()
                .statusCode(response.statusCode())
                .headers(response.headers().map())
                .body(body)
                .build();
    }

    /**
     * Streams the answer to {@code request} as server-sent events on a virtual thread of its own, and returns at once
     * (a request outside the endpoint is refused here, before anything is sent). The whole stream, not only its
     * start, must end within the read timeout: past it the reading thread is interrupted and the listener gets a
     * {@link TimeoutException}. Exactly one of {@code onClose} and {@code onError} ends it: an answer refused with a
     * status that is not 2xx is an {@link EndpointHttpException} with the response's headers, like
     * {@link #execute(HttpRequest)}'s, as is an error the endpoint reports in the stream, and a stream that ends
     * before its {@code data: [DONE]} or {@code event: message_stop} (the connection was cut) is an
     * {@link IOException}.
     */
    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        java.net.http.HttpRequest jdkRequest = toJdkRequest(request);
        EventStream stream = new EventStream(listener, readTimeout);
        Thread reader = Thread.ofVirtual().name("model-stream").unstarted(() -> stream(jdkRequest, parser, stream));
        reader.start();
        if (readTimeout != null) {
            Thread.ofVirtual().name("model-stream-deadline").start(() -> {
                try {
                    if (!reader.join(readTimeout)) {
                        stream.timedOut = true;
                        reader.interrupt();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    private void stream(java.net.http.HttpRequest jdkRequest, ServerSentEventParser parser, EventStream stream) {
        HttpResponse<InputStream> response;
        try {
            response = client.send(jdkRequest, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            stream.onError(new TimeoutException(e));
            return;
        } catch (IOException | InterruptedException e) {
            stream.onError(new RuntimeException(e));
            return;
        }
        try (InputStream body = response.body()) {
            if (!successful(response)) {
                stream.onError(new EndpointHttpException(
                        response.statusCode(),
                        new String(body.readAllBytes(), StandardCharsets.UTF_8),
                        response.headers().map()));
                return;
            }
            stream.onOpen(SuccessfulHttpResponse.builder()
                    .statusCode(response.statusCode())
                    .headers(response.headers().map())
                    .build());
            parser.parse(body, stream);
            stream.onEnd();
        } catch (IOException | RuntimeException e) {
            stream.onError(e);
        }
    }

    private java.net.http.HttpRequest toJdkRequest(HttpRequest request) {
        URI uri = URI.create(request.url());
        if (!withSlash(uri.toString()).startsWith(allowedPrefix)) {
            throw new IllegalStateException("refusing to send a model request to " + uri.getScheme() + "://"
                    + uri.getHost() + ": it is outside this worker's endpoint");
        }
        var jdkRequest = java.net.http.HttpRequest.newBuilder(uri)
                .method(
                        request.method().name(),
                        request.body() == null
                                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                                : java.net.http.HttpRequest.BodyPublishers.ofString(request.body()));
        request.headers().forEach((name, values) -> values.forEach(value -> jdkRequest.header(name, value)));
        if (readTimeout != null) {
            jdkRequest.timeout(readTimeout);
        }
        return jdkRequest.build();
    }

    private static boolean successful(HttpResponse<?> response) {
        return response.statusCode() >= 200 && response.statusCode() < 300;
    }

    /**
     * One streamed answer's listener, between the parser and LangChain4j's: it passes events on, notices
     * {@code data: [DONE]}, and ends the stream exactly once, with {@code onClose} after {@code [DONE]} or with
     * {@code onError} (a timeout when the deadline cut it).
     */
    private static final class EventStream implements ServerSentEventListener {

        private static final String DONE = "[DONE]";
        /** The last event of an Anthropic Messages API stream, which sends no {@code [DONE]}. */
        private static final String MESSAGE_STOP = "message_stop";
        /** The HTTP status each of Anthropic's error types stands for, for errors reported in a stream. */
        private static final Map<String, Integer> ANTHROPIC_ERROR_STATUS = Map.of(
                "invalid_request_error", 400,
                "authentication_error", 401,
                "permission_error", 403,
                "not_found_error", 404,
                "request_too_large", 413,
                "rate_limit_error", 429,
                "api_error", 500,
                "overloaded_error", 529);

        private static final ObjectMapper JSON = new ObjectMapper();

        private final ServerSentEventListener listener;
        private final Duration timeout;
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile Map<String, List<String>> headers = Map.of();
        private volatile boolean done;
        private volatile boolean timedOut;

        EventStream(ServerSentEventListener listener, Duration timeout) {
            this.listener = listener;
            this.timeout = timeout;
        }

        @Override
        public void onOpen(SuccessfulHttpResponse response) {
            headers = response.headers();
            listener.onOpen(response);
        }

        @Override
        public void onEvent(ServerSentEvent event, ServerSentEventContext context) {
            if (ended.get()) {
                return;
            }
            if (DONE.equals(event.data()) || MESSAGE_STOP.equals(event.event())) {
                done = true;
            }
            Optional<EndpointHttpException> error = streamedError(event, headers);
            if (error.isPresent()) {
                onError(error.get());
                return;
            }
            listener.onEvent(event, context);
        }

        @Override
        public void onEvent(ServerSentEvent event) {
            onEvent(event, new ServerSentEventContext(new CancellationUnsupportedHandle()));
        }

        @Override
        public void onError(Throwable error) {
            if (ended.compareAndSet(false, true)) {
                listener.onError(
                        timedOut
                                ? new TimeoutException("no complete answer within " + timeout.toMillis() + " ms")
                                : error);
            }
        }

        /**
         * An error the endpoint reports in the stream, after its 200 ({@code event: error}, or data that is an object
         * with an {@code error}, as OpenAI and vLLM send them), as the HTTP error it stands for: its {@code code} or
         * {@code status} when that is an HTTP error status, else the status of its Anthropic error {@code type}
         * (e.g. {@code overloaded_error}: 529), else 500 (the server failed mid-answer).
         */
        static Optional<EndpointHttpException> streamedError(ServerSentEvent event, Map<String, List<String>> headers) {
            String data = event.data() == null ? "" : event.data().strip();
            boolean errorEvent = "error".equals(event.event());
            if (!errorEvent && !(data.startsWith("{") && data.contains("\"error\""))) {
                return Optional.empty();
            }
            JsonNode error;
            try {
                JsonNode json = JSON.readTree(data);
                error = json == null ? null : json.get("error");
            } catch (JsonProcessingException e) {
                error = null;
            }
            if (!errorEvent && (error == null || error.isNull())) {
                return Optional.empty();
            }
            int status = 500;
            for (JsonNode code :
                    error == null ? List.<JsonNode>of() : List.of(error.path("code"), error.path("status"))) {
                if (code.canConvertToInt() && code.asInt() >= 400 && code.asInt() <= 599) {
                    status = code.asInt();
                    break;
                }
            }
            if (status == 500 && error != null) {
                status = ANTHROPIC_ERROR_STATUS.getOrDefault(error.path("type").asText(), 500);
            }
            return Optional.of(new EndpointHttpException(status, data, headers));
        }

        /** The body ended: complete after {@code [DONE]} (or Anthropic's {@code message_stop}), else cut short. */
        void onEnd() {
            if (!done) {
                onError(new IOException("the endpoint's stream ended before data: " + DONE));
            } else if (ended.compareAndSet(false, true)) {
                listener.onClose();
            }
        }
    }

    static final class Builder implements HttpClientBuilder {
        private final String baseUrl;
        private Duration connectTimeout;
        private Duration readTimeout;

        private Builder(String baseUrl) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        }

        @Override
        public Duration connectTimeout() {
            return connectTimeout;
        }

        @Override
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        @Override
        public Duration readTimeout() {
            return readTimeout;
        }

        @Override
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = timeout;
            return this;
        }

        @Override
        public EndpointHttpClient build() {
            return new EndpointHttpClient(this);
        }
    }
}
