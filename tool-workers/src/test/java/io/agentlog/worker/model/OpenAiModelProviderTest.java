package io.agentlog.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.testkit.ChatCompletionsServer;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The openai provider against a local server that speaks the chat-completions protocol. */
class OpenAiModelProviderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    private ChatCompletionsServer server;
    private volatile int status = 200;
    private volatile Map<String, String> headers = Map.of();
    private volatile String responseBody = "{}";

    record Recorded(String authorization, JsonNode body) {}

    @BeforeEach
    void startServer() throws IOException {
        server = ChatCompletionsServer.respondingWith(
                request -> new ChatCompletionsServer.Response(status, headers, responseBody));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private List<Recorded> requests() {
        return server.requests().stream()
                .map(r -> new Recorded(r.authorization().orElse(null), readJson(r.body())))
                .toList();
    }

    private static JsonNode readJson(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String baseUrl() {
        return server.baseUrl();
    }

    private static ModelEndpoint endpoint(String name, String url, String key) {
        return new ModelEndpoint(
                name,
                OpenAiModelProvider.NAME,
                URI.create(url),
                Optional.ofNullable(key).map(k -> Credential.of(k, "the test")));
    }

    private OpenAiModelProvider provider() {
        return new OpenAiModelProvider(
                ModelEndpoints.of(endpoint("", baseUrl(), "test-key")),
                Duration.ofSeconds(10),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static ModelResult complete(OpenAiModelProvider provider, ModelCall call) {
        return provider.complete(call, ScriptedModelProviderTest.CONTEXT);
    }

    private static ModelCall conversation(String endpoint) {
        return ModelCall.newBuilder()
                .setModel(new ModelSpec("openai", "test-model", 0.2, 256, Map.of(), endpoint, null))
                .setMessages(List.of(
                        message(Role.SYSTEM, "You are terse."),
                        message(Role.USER, "What does the page say?"),
                        Message.newBuilder()
                                .setRole(Role.ASSISTANT)
                                .setContent("")
                                .setToolCalls(List.of(ToolCall.newBuilder()
                                        .setId("call_7")
                                        .setName("http_fetch")
                                        .setArguments("{\"url\":\"http://127.0.0.1/\"}")
                                        .build()))
                                .build(),
                        Message.newBuilder()
                                .setRole(Role.TOOL)
                                .setContent("HTTP 200\n\nhello")
                                .setToolCallId("call_7")
                                .setToolName("http_fetch")
                                .build()))
                .setTools(List.of(BuiltinTools.find(BuiltinTools.HTTP_FETCH).orElseThrow()))
                .setTurn(1)
                .build();
    }

    private static Message message(Role role, String content) {
        return Message.newBuilder().setRole(role).setContent(content).build();
    }

    @Test
    void shouldSendMessagesAndToolsAndMapToolCallsWhenTheModelCallsATool() {
        // Given
        responseBody = """
                {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"test-model",
                 "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
                   "tool_calls":[{"id":"call_abc","type":"function",
                     "function":{"name":"http_fetch","arguments":"{\\"url\\":\\"http://127.0.0.1:9/x\\"}"}}]}}],
                 "usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49,"prompt_tokens_details":{"cached_tokens":30}}}""";

        // When
        ModelResult result = complete(provider(), conversation(""));

        // Then the request is the chat-completions protocol
        assertThat(requests()).hasSize(1);
        Recorded request = requests().getFirst();
        assertThat(request.authorization()).isEqualTo("Bearer test-key");
        JsonNode body = request.body();
        assertThat(body.path("model").asText()).isEqualTo("test-model");
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
        JsonNode messages = body.path("messages");
        assertThat(messages).hasSize(4);
        assertThat(messages.get(0).path("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).path("content").asText()).isEqualTo("You are terse.");
        assertThat(messages.get(1).path("role").asText()).isEqualTo("user");
        assertThat(messages.get(1).path("content").asText()).isEqualTo("What does the page say?");
        assertThat(messages.get(2).path("role").asText()).isEqualTo("assistant");
        JsonNode sentCall = messages.get(2).path("tool_calls").get(0);
        assertThat(sentCall.path("id").asText()).isEqualTo("call_7");
        assertThat(sentCall.path("type").asText()).isEqualTo("function");
        assertThat(sentCall.path("function").path("name").asText()).isEqualTo("http_fetch");
        assertThat(sentCall.path("function").path("arguments").asText()).isEqualTo("{\"url\":\"http://127.0.0.1/\"}");
        assertThat(messages.get(3).path("role").asText()).isEqualTo("tool");
        assertThat(messages.get(3).path("tool_call_id").asText()).isEqualTo("call_7");
        assertThat(messages.get(3).path("content").asText()).isEqualTo("HTTP 200\n\nhello");
        JsonNode tool = body.path("tools").get(0);
        assertThat(tool.path("type").asText()).isEqualTo("function");
        assertThat(tool.path("function").path("name").asText()).isEqualTo("http_fetch");
        assertThat(tool.path("function").path("description").asText()).startsWith("Fetch a URL");
        JsonNode parameters = tool.path("function").path("parameters");
        assertThat(parameters.path("type").asText()).isEqualTo("object");
        assertThat(parameters.path("properties").path("url").path("type").asText())
                .isEqualTo("string");
        assertThat(parameters.path("properties").path("url").path("description").asText())
                .isEqualTo("http or https URL");
        assertThat(parameters.path("required").toString()).isEqualTo("[\"url\"]");

        // and the response is mapped
        assertThat(result.reply().getText()).isEmpty();
        assertThat(result.reply().getFinishReason()).isEqualTo("tool_calls");
        assertThat(result.reply().getToolCalls()).singleElement().satisfies(call -> {
            assertThat(call.getId()).isEqualTo("call_abc");
            assertThat(call.getName()).isEqualTo("http_fetch");
            assertThat(call.getArguments()).isEqualTo("{\"url\":\"http://127.0.0.1:9/x\"}");
        });
        assertThat(result.usage().getInputTokens()).isEqualTo(42);
        assertThat(result.usage().getOutputTokens()).isEqualTo(7);
        assertThat(result.usage().getCachedInputTokens()).isEqualTo(30);
    }

    @Test
    void shouldMapTextAndFinishReasonWhenTheModelAnswersWithContent() {
        // Given
        responseBody = """
                {"id":"chatcmpl-2","object":"chat.completion","created":1700000000,"model":"test-model",
                 "choices":[{"index":0,"finish_reason":"stop",
                   "message":{"role":"assistant","content":"It says hello."}}],
                 "usage":{"prompt_tokens":50,"completion_tokens":4,"total_tokens":54}}""";

        // When
        ModelResult result = complete(provider(), conversation(""));

        // Then
        assertThat(result.reply().getText()).isEqualTo("It says hello.");
        assertThat(result.reply().getToolCalls()).isEmpty();
        assertThat(result.reply().getFinishReason()).isEqualTo("stop");
        assertThat(result.usage().getInputTokens()).isEqualTo(50);
        assertThat(result.usage().getOutputTokens()).isEqualTo(4);
    }

    @Test
    void shouldSendToTheNamedEndpointWithItsOwnKeyWhenTheModelNamesOne() {
        // Given a worker whose default endpoint points nowhere and whose endpoint 'local' is the server
        responseBody = ChatCompletionsServer.textReply("ok");
        var provider = new OpenAiModelProvider(
                ModelEndpoints.of(
                        endpoint("", "http://127.0.0.1:9/v1", "default-key"),
                        endpoint("local", baseUrl(), "local-key"),
                        endpoint("keyless", baseUrl(), null)),
                Duration.ofSeconds(10));

        // When
        ModelResult result = complete(provider, conversation("local"));
        complete(provider, conversation("keyless"));

        // Then
        assertThat(result.reply().getText()).isEqualTo("ok");
        assertThat(requests().get(0).authorization()).isEqualTo("Bearer local-key");
        assertThat(requests().get(1).authorization()).isNull();
    }

    @Test
    void shouldRefuseWithoutSendingAnythingWhenTheModelNamesAnEndpointTheWorkerDoesNotHave() {
        // Given
        var provider = new OpenAiModelProvider(
                ModelEndpoints.of(endpoint("", baseUrl(), "k"), endpoint("local", baseUrl(), "k")),
                Duration.ofSeconds(10));

        // Then
        assertThatThrownBy(() -> complete(provider, conversation("collector")))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessage("model endpoint 'collector' is not defined on this worker, so no request was sent; it"
                        + " defines [local] (AGENTLOG_MODEL_ENDPOINTS); leave model.endpoint empty for the default"
                        + " endpoint");
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void shouldCarryTheEndpointsRetryAfterWhenItAnswers429Or503() {
        // Given a rate limit in seconds
        status = 429;
        headers = Map.of("Retry-After", "12");
        responseBody = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}";

        // Then
        assertThatThrownBy(() -> complete(provider(), conversation("")))
                .isInstanceOfSatisfying(
                        RetryableWorkException.class,
                        e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(12)))
                .hasMessageContaining("HTTP 429")
                .hasMessageContaining("slow down");

        // And an HTTP-date on a 503
        status = 503;
        headers = Map.of("Retry-After", "Wed, 25 Nov 2026 12:00:30 GMT");
        assertThatThrownBy(() -> complete(provider(), conversation("")))
                .isInstanceOfSatisfying(
                        RetryableWorkException.class,
                        e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(30)));

        // And none on a 500, which Retry-After does not apply to
        status = 500;
        headers = Map.of("Retry-After", "5");
        assertThatThrownBy(() -> complete(provider(), conversation("")))
                .isInstanceOfSatisfying(
                        RetryableWorkException.class,
                        e -> assertThat(e.retryAfter()).isEmpty());
    }

    @Test
    void shouldReadRetryAfterAsSecondsOrAnHttpDate() {
        assertThat(RetryAfter.parse("120", NOW)).contains(Duration.ofMinutes(2));
        assertThat(RetryAfter.parse(" 0 ", NOW)).contains(Duration.ZERO);
        assertThat(RetryAfter.parse("Wed, 25 Nov 2026 12:01:00 GMT", NOW)).contains(Duration.ofMinutes(1));
        assertThat(RetryAfter.parse("Wed, 25 Nov 2026 11:00:00 GMT", NOW)).contains(Duration.ZERO);
        assertThat(RetryAfter.parse("soon", NOW)).isEmpty();
        assertThat(RetryAfter.parse("-5", NOW)).isEmpty();
        assertThat(RetryAfter.parse("99999999999999999999", NOW)).contains(Duration.ofDays(365));
    }

    @Test
    void shouldNeverRepeatTheKeyWhenTheEndpointEchoesItInAnError() {
        // Given an endpoint that echoes the request's authorization in its error body
        status = 401;
        responseBody = "{\"error\":{\"message\":\"bad key test-key (Authorization: Bearer test-key)\"}}";

        // Then
        assertThatThrownBy(() -> complete(provider(), conversation("")))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("answered HTTP 401")
                .hasMessageContaining("check the API key of the default openai endpoint: it comes from the test")
                .hasMessageNotContaining("test-key");
    }

    @Test
    void shouldThrowRetryableWhenTheEndpointAnswers500Or429() {
        // Given
        responseBody = "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}";
        status = 500;

        // Then
        assertThatThrownBy(() -> complete(provider(), conversation("")))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("HTTP 500")
                .hasMessageContaining("overloaded");
        assertThat(requests()).as("no hidden retries inside LangChain4j").hasSize(1);

        status = 429;
        responseBody = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}";
        assertThatThrownBy(() -> complete(provider(), conversation("")))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("HTTP 429");
    }

    @Test
    void shouldThrowTerminalWhenTheEndpointAnswers400() {
        // Given
        status = 400;
        responseBody = "{\"error\":{\"message\":\"unknown parameter: foo\",\"type\":\"invalid_request_error\"}}";

        // Then
        assertThatThrownBy(() -> complete(provider(), conversation("")))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining(
                        "model 'test-model' at the default openai endpoint (" + baseUrl() + ") answered HTTP 400")
                .hasMessageContaining("unknown parameter: foo");
    }

    @Test
    void shouldThrowRetryableWhenNothingListensAtTheBaseUrl() {
        // Given a port that was just freed
        String url = baseUrl();
        server.close();
        var provider = new OpenAiModelProvider(ModelEndpoints.of(endpoint("", url, null)), Duration.ofSeconds(5));

        // Then
        assertThatThrownBy(() -> complete(provider, conversation("")))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("cannot reach model 'test-model'");
    }

    @Test
    void shouldThrowTerminalWhenToolParametersAreNotAnObjectSchema() {
        // Given
        ModelCall call = conversation("");
        call.getTools().getFirst().setParameters("[1,2]");

        // Then
        assertThatThrownBy(() -> complete(provider(), call))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("tool 'http_fetch' must be a JSON Schema of type object");
        assertThat(server.requests()).isEmpty();
    }
}
