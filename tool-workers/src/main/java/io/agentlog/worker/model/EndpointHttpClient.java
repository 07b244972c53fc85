package io.agentlog.worker.model;

import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

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
 * Streaming is not used by the worker and not supported.
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
        HttpResponse<byte[]> response;
        try {
            response = client.send(jdkRequest.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new TimeoutException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        String body = new String(response.body(), StandardCharsets.UTF_8);
        if (response.statusCode() < 200 || response.statusCode() >= 300) {
            throw new EndpointHttpException(
                    response.statusCode(), body, response.headers().map());
        }
        return SuccessfulHttpResponse.builder()
                .statusCode(response.statusCode())
                .headers(response.headers().map())
                .body(body)
                .build();
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        throw new UnsupportedOperationException("the agentlog worker does not stream model responses");
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
