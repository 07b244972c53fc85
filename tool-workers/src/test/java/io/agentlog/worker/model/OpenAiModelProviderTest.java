package io.agentlog.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The openai provider against a local server that speaks the chat-completions protocol. */
class OpenAiModelProviderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer server;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String responseBody = "{}";

    record Recorded(String path, String authorization, JsonNode body) {}

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            requests.add(new Recorded(
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    JSON.readTree(body)));
            byte[] out = responseBody.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    private OpenAiModelProvider provider() {
        return new OpenAiModelProvider(Optional.of(baseUrl()), Optional.of("test-key"), Duration.ofSeconds(10));
    }

    private static ModelCall conversation(Map<String, String> options) {
        return ModelCall.newBuilder()
                .setModel(new ModelSpec("openai", "test-model", 0.2, 256, options, ""))
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
                 "usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49}}""";

        // When
        ModelResult result = provider().complete(conversation(Map.of()));

        // Then the request is the chat-completions protocol
        assertThat(requests).hasSize(1);
        Recorded request = requests.getFirst();
        assertThat(request.path()).isEqualTo("/v1/chat/completions");
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
        ModelResult result = provider().complete(conversation(Map.of()));

        // Then
        assertThat(result.reply().getText()).isEqualTo("It says hello.");
        assertThat(result.reply().getToolCalls()).isEmpty();
        assertThat(result.reply().getFinishReason()).isEqualTo("stop");
        assertThat(result.usage().getInputTokens()).isEqualTo(50);
        assertThat(result.usage().getOutputTokens()).isEqualTo(4);
    }

    @Test
    void shouldUseTheBaseUrlOptionWhenTheModelSpecGivesOne() {
        // Given a provider whose default base URL points nowhere
        responseBody = """
                {"id":"c","object":"chat.completion","created":1,"model":"test-model",
                 "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"ok"}}]}""";
        var provider =
                new OpenAiModelProvider(Optional.of("http://127.0.0.1:9/v1"), Optional.empty(), Duration.ofSeconds(10));

        // When
        ModelResult result = provider.complete(conversation(Map.of("baseUrl", baseUrl())));

        // Then
        assertThat(result.reply().getText()).isEqualTo("ok");
        assertThat(requests.getFirst().authorization()).isNull();
        assertThat(result.usage().getInputTokens()).isZero();
    }

    @Test
    void shouldThrowRetryableWhenTheEndpointAnswers500Or429() {
        // Given
        responseBody = "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}";
        status = 500;

        // Then
        assertThatThrownBy(() -> provider().complete(conversation(Map.of())))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("HTTP 500")
                .hasMessageContaining("overloaded");
        assertThat(requests).as("no hidden retries inside LangChain4j").hasSize(1);

        status = 429;
        responseBody = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}";
        assertThatThrownBy(() -> provider().complete(conversation(Map.of())))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("HTTP 429");
    }

    @Test
    void shouldThrowTerminalWhenTheEndpointAnswers400() {
        // Given
        status = 400;
        responseBody = "{\"error\":{\"message\":\"unknown parameter: foo\",\"type\":\"invalid_request_error\"}}";

        // Then
        assertThatThrownBy(() -> provider().complete(conversation(Map.of())))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("model 'test-model' at " + baseUrl() + " answered HTTP 400")
                .hasMessageContaining("unknown parameter: foo");
    }

    @Test
    void shouldThrowRetryableWhenNothingListensAtTheBaseUrl() {
        // Given a port that was just freed
        int port = server.getAddress().getPort();
        server.stop(0);
        var provider = new OpenAiModelProvider(
                Optional.of("http://127.0.0.1:" + port + "/v1"), Optional.empty(), Duration.ofSeconds(5));

        // Then
        assertThatThrownBy(() -> provider.complete(conversation(Map.of())))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("cannot reach model 'test-model'");
    }

    @Test
    void shouldThrowTerminalWhenToolParametersAreNotAnObjectSchema() {
        // Given
        ModelCall call = conversation(Map.of());
        call.getTools().getFirst().setParameters("[1,2]");

        // Then
        assertThatThrownBy(() -> provider().complete(call))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("tool 'http_fetch' must be a JSON Schema of type object");
        assertThat(requests).isEmpty();
    }
}
