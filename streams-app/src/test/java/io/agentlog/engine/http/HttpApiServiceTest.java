package io.agentlog.engine.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API's own rules, before any engine is attached (no broker is needed for them): bearer tokens, JSON errors,
 * the service endpoints, and its configuration.
 */
class HttpApiServiceTest {

    private static final String TOKEN = "s3cret-token";
    private static final PrometheusMeterRegistry METRICS = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private static HttpApi api;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        // a bootstrap address nobody listens on: these requests never reach Kafka
        api = HttpApi.start(HttpApiConfig.loopback().withTokens(Set.of(TOKEN)), "127.0.0.1:1", Map.of(), METRICS);
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void shouldAskForABearerTokenEverywhereButHealthAndReadiness() throws Exception {
        HttpResponse<String> health = get("/health", null);
        HttpResponse<String> ready = get("/ready", null);
        HttpResponse<String> none = get("/sessions/s-1", null);
        HttpResponse<String> wrong = get("/sessions/s-1", "Bearer nope");
        HttpResponse<String> right = get("/sessions/s-1", "Bearer " + TOKEN);
        HttpResponse<String> missing = get("/nowhere", "Bearer " + TOKEN);

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"state\":\"STARTING\"");
        assertJsonError(none, 401, "needs a bearer token");
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertJsonError(wrong, 401, "unknown token");
        assertJsonError(right, 503, "the engine is starting");
        assertJsonError(missing, 404, "no such endpoint: GET /nowhere");

        // the console's files need no token; the event stream also takes one as a parameter, other paths do not
        HttpResponse<String> console = get("/", null);
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.body()).contains("<title>agentlog console</title>");
        assertThat(get("/console.js", null).statusCode()).isEqualTo(200);
        assertJsonError(get("/sessions/s-1/events?access_token=" + TOKEN, null), 503, "the engine is starting");
        assertJsonError(get("/sessions/s-1/events?access_token=nope", null), 401, "unknown token");
        assertJsonError(get("/sessions/s-1?access_token=" + TOKEN, null), 401, "needs a bearer token");
    }

    @Test
    void shouldServeTheRegistryInPrometheusTextToCallersWithAToken() throws Exception {
        // Given a counter in the registry the API serves
        METRICS.counter("agentlog.test.things", "kind", "a").increment(3);

        // When /metrics is asked for without a token, and with one
        HttpResponse<String> none = get("/metrics", null);
        HttpResponse<String> right = get("/metrics", "Bearer " + TOKEN);

        // Then only the caller with a token sees the counter, in the Prometheus text format
        assertJsonError(none, 401, "needs a bearer token");
        assertThat(right.statusCode()).isEqualTo(200);
        assertThat(right.headers().firstValue("Content-Type")).hasValue(HttpApi.METRICS_CONTENT_TYPE);
        assertThat(right.body())
                .contains(
                        "# TYPE agentlog_test_things_total counter\n", "agentlog_test_things_total{kind=\"a\"} 3.0\n");
    }

    @Test
    void shouldRefuseToServeWithoutTokensOffLoopbackAndReadTheTokenFile(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> HttpApiConfig.fromEnv(Map.of(HttpApiConfig.HOST_ENV, "0.0.0.0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs bearer tokens: set AGENTLOG_HTTP_TOKENS_FILE");
        assertThatThrownBy(() -> HttpApiConfig.fromEnv(Map.of(HttpApiConfig.PORT_ENV, "eighty")))
                .hasMessage("AGENTLOG_HTTP_PORT must be a port (0-65535) or 'off', but was 'eighty'");
        assertThat(HttpApiConfig.fromEnv(Map.of(HttpApiConfig.PORT_ENV, "off")).enabled())
                .isFalse();
        assertThat(HttpApiConfig.fromEnv(Map.of()).port()).isEqualTo(8088);

        Path tokens = Files.writeString(dir.resolve("tokens"), "# operators\nalpha\n\n  beta  \n");
        HttpApiConfig open = HttpApiConfig.fromEnv(
                Map.of(HttpApiConfig.HOST_ENV, "0.0.0.0", HttpApiConfig.TOKENS_FILE_ENV, tokens.toString()));
        assertThat(open.tokens()).containsExactlyInAnyOrder("alpha", "beta");
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n");
        assertThatThrownBy(() -> HttpApiConfig.fromEnv(Map.of(HttpApiConfig.TOKENS_FILE_ENV, empty.toString())))
                .hasMessageContaining("which holds no token");
    }

    @Test
    void shouldSayWhyItCannotListen() {
        HttpApiConfig taken = new HttpApiConfig(
                true,
                "127.0.0.1",
                api.port(),
                java.util.Optional.empty(),
                Set.of(),
                HttpApiConfig.DEFAULT_MAX_STREAM_TIME);
        assertThatThrownBy(() -> HttpApi.start(taken, "127.0.0.1:1", Map.of(), METRICS))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the HTTP API cannot listen on 127.0.0.1:" + api.port());
    }

    @Test
    void shouldDescribeEveryEndpointInItsOpenApiDocument() throws Exception {
        // Given the document it serves
        JsonNode paths = new ObjectMapper()
                .readTree(get("/openapi.json", "Bearer " + TOKEN).body())
                .path("paths");
        Set<String> documented = new TreeSet<>();
        paths.properties()
                .forEach(path -> path.getValue()
                        .fieldNames()
                        .forEachRemaining(
                                method -> documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey())));

        // Then it names exactly the routes the server has
        Set<String> served = new TreeSet<>();
        api.routes().forEach(route -> served.add(route.method() + " " + route.path()));
        assertThat(documented).isEqualTo(served);
    }

    private static void assertJsonError(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(response.body()).contains(message).contains("\"status\":" + status);
    }

    private static HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
