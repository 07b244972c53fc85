package io.agentlog.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.ModelCosts;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.testkit.ChatCompletionsServer.Response;
import io.agentlog.testkit.MessagesApiServer;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The anthropic provider against a local server that speaks the Messages API. */
class AnthropicModelProviderTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private static final String KEY = "sk-ant-test-key-0123456789";

    private static final String TWO_TOOL_CALLS = """
            {"id":"msg_1","type":"message","role":"assistant","model":"test-model",
             "content":[
               {"type":"text","text":"Fetching both."},
               {"type":"tool_use","id":"toolu_a","name":"http_fetch","input":{"url":"http://127.0.0.1:9/first-page"}},
               {"type":"tool_use","id":"toolu_b","name":"http_fetch","input":{"url":"http://127.0.0.1:9/second-page"}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":12,"output_tokens":17,"cache_read_input_tokens":30,"cache_creation_input_tokens":0}}""";

    private MessagesApiServer server;
    private volatile int status = 200;
    private volatile Map<String, String> headers = Map.of();
    private volatile String responseBody = "{}";

    @BeforeEach
    void startServer() throws IOException {
        server = MessagesApiServer.respondingWith(request -> new Response(status, headers, responseBody));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private AnthropicModelProvider provider(boolean stream) {
        return new AnthropicModelProvider(
                ModelEndpoints.of(new ModelEndpoint(
                                "claude",
                                AnthropicModelProvider.NAME,
                                URI.create(server.baseUrl()),
                                Optional.of(Credential.of(KEY, "the test")))
                        .withStream(stream)),
                Duration.ofSeconds(10),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static ModelResult complete(AnthropicModelProvider provider, ModelCall call) {
        return provider.complete(call, ScriptedModelProviderTest.CONTEXT);
    }

    private static ModelCall conversation(Integer maxOutputTokens) {
        return ModelCall.newBuilder()
                .setModel(new ModelSpec("anthropic", "test-model", 0.2, maxOutputTokens, Map.of(), "claude", null))
                .setMessages(List.of(
                        message(Role.SYSTEM, "You are terse."),
                        message(Role.USER, "What do the pages say?"),
                        Message.newBuilder()
                                .setRole(Role.ASSISTANT)
                                .setContent("")
                                .setToolCalls(List.of(
                                        call("toolu_1", "{\"url\":\"http://127.0.0.1/a\"}"),
                                        call("toolu_2", "{\"url\":\"http://127.0.0.1/b\"}")))
                                .build(),
                        toolResult("toolu_1", "HTTP 200\n\nhello"),
                        toolResult("toolu_2", "HTTP 200\n\nworld")))
                .setTools(List.of(BuiltinTools.find(BuiltinTools.HTTP_FETCH).orElseThrow()))
                .setTurn(1)
                .build();
    }

    private static ToolCall call(String id, String arguments) {
        return ToolCall.newBuilder()
                .setId(id)
                .setName("http_fetch")
                .setArguments(arguments)
                .build();
    }

    private static Message toolResult(String id, String content) {
        return Message.newBuilder()
                .setRole(Role.TOOL)
                .setContent(content)
                .setToolCallId(id)
                .setToolName("http_fetch")
                .build();
    }

    private static Message message(Role role, String content) {
        return Message.newBuilder().setRole(role).setContent(content).build();
    }

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldSendTheMessagesApiRequestAndMapTwoParallelToolCallsWhenTheModelCallsTools(boolean stream) {
        // Given
        responseBody = TWO_TOOL_CALLS;

        // When
        ModelResult result = complete(provider(stream), conversation(256));

        // Then the request is the Messages API's
        MessagesApiServer.Request request = server.requests().getFirst();
        assertThat(request.apiKey()).contains(KEY);
        assertThat(request.version()).isPresent();
        JsonNode body = request.json();
        assertThat(body.path("model").asText()).isEqualTo("test-model");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(256);
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.path("stream").asBoolean()).isEqualTo(stream);
        assertThat(body.path("system").toString()).contains("You are terse.");
        JsonNode messages = body.path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.get(0).path("role").asText()).isEqualTo("user");
        assertThat(messages.get(0).toString()).contains("What do the pages say?");
        assertThat(messages.get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(messages.get(1).path("content").findValuesAsText("id")).containsExactly("toolu_1", "toolu_2");
        assertThat(messages.get(1)
                        .path("content")
                        .get(0)
                        .path("input")
                        .path("url")
                        .asText())
                .isEqualTo("http://127.0.0.1/a");
        // both tool results in one user message, each naming its call
        assertThat(messages.get(2).path("role").asText()).isEqualTo("user");
        JsonNode results = messages.get(2).path("content");
        assertThat(results).hasSize(2);
        assertThat(results.get(0).path("type").asText()).isEqualTo("tool_result");
        assertThat(results.get(0).path("tool_use_id").asText()).isEqualTo("toolu_1");
        assertThat(results.get(0).toString()).contains("hello");
        assertThat(results.get(1).path("tool_use_id").asText()).isEqualTo("toolu_2");
        JsonNode tool = body.path("tools").get(0);
        assertThat(tool.path("name").asText()).isEqualTo("http_fetch");
        assertThat(tool.path("description").asText()).startsWith("Fetch a URL");
        assertThat(tool.path("input_schema").path("type").asText()).isEqualTo("object");
        assertThat(tool.path("input_schema")
                        .path("properties")
                        .path("url")
                        .path("type")
                        .asText())
                .isEqualTo("string");
        assertThat(tool.path("input_schema").path("required").toString()).isEqualTo("[\"url\"]");

        // and the answer is mapped: both calls whole, in order; usage in the OpenAI convention
        assertThat(result.reply().getToolCalls())
                .extracting(ToolCall::getId, ToolCall::getName, ToolCall::getArguments)
                .containsExactly(
                        Tuple.tuple("toolu_a", "http_fetch", "{\"url\":\"http://127.0.0.1:9/first-page\"}"),
                        Tuple.tuple("toolu_b", "http_fetch", "{\"url\":\"http://127.0.0.1:9/second-page\"}"));
        assertThat(result.reply().getText()).isEqualTo("Fetching both.");
        assertThat(result.reply().getFinishReason()).isEqualTo(FinishReasons.TOOL_CALLS);
        assertThat(result.usage().getInputTokens()).isEqualTo(42);
        assertThat(result.usage().getCachedInputTokens()).isEqualTo(30);
        assertThat(result.usage().getOutputTokens()).isEqualTo(17);
    }

    @Test
    void shouldSendADefaultMaxTokensWhenTheModelSetsNone() {
        // Given
        responseBody = MessagesApiServer.textReply("ok");

        // When
        complete(provider(false), conversation(null));

        // Then
        assertThat(server.requests().getFirst().json().path("max_tokens").asInt())
                .isEqualTo(AnthropicModelProvider.DEFAULT_MAX_TOKENS);
    }

    @Test
    void shouldCostTheSameAsTheOpenAiProviderWhenTheUsageIsTheSame() {
        // Given an answer of 12 uncached input tokens, 30 read from the cache, 8 written to it and 17 output tokens
        responseBody = TWO_TOOL_CALLS.replace("\"cache_creation_input_tokens\":0", "\"cache_creation_input_tokens\":8");
        ModelPrice price = new ModelPrice(3.0, 15.0, 0.3);

        // When
        ModelResult result = complete(provider(true), conversation(256));

        // Then it is the OpenAI provider's usage of 50 prompt tokens, 30 of them cached, and costs the same
        assertThat(result.usage().getInputTokens()).isEqualTo(50);
        assertThat(result.usage().getCachedInputTokens()).isEqualTo(30);
        var openAi = ChatMapping.usage(50, 17, 30);
        assertThat(ModelCosts.priced(result.usage(), price).getCostMicros())
                .isEqualTo(ModelCosts.priced(openAi, price).getCostMicros())
                .isPositive();
    }

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldCarryTheRetryAfterWhenTheEndpointAnswers429Or529(boolean stream) {
        // Given a rate limit
        status = 429;
        headers = Map.of("retry-after", "12");
        responseBody = MessagesApiServer.error("rate_limit_error", "slow down");

        // Then
        assertThatThrownBy(() -> complete(provider(stream), conversation(256)))
                .isInstanceOfSatisfying(
                        RetryableWorkException.class,
                        e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(12)))
                .hasMessageContaining("HTTP 429")
                .hasMessageContaining("slow down");

        // And Anthropic's 529, overloaded
        status = 529;
        headers = Map.of("retry-after", "30");
        responseBody = MessagesApiServer.error("overloaded_error", "Overloaded");
        assertThatThrownBy(() -> complete(provider(stream), conversation(256)))
                .isInstanceOfSatisfying(
                        RetryableWorkException.class,
                        e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(30)))
                .hasMessageContaining("HTTP 529");
    }

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldThrowTerminalWithoutTheKeyWhenTheEndpointAnswers400EchoingIt(boolean stream) {
        // Given
        status = 400;
        responseBody = MessagesApiServer.error("invalid_request_error", "bad key " + KEY);

        // Then
        assertThatThrownBy(() -> complete(provider(stream), conversation(256)))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("HTTP 400")
                .hasMessageContaining("invalid_request_error")
                .hasMessageNotContaining(KEY);
    }

    @Test
    void shouldStreamTheTextInOrderAndReturnTheSameText() {
        // Given
        String text = "The page says hello, and then it says a few more things about the weather.\nThat is all.";
        responseBody = MessagesApiServer.textReply(text);
        List<String> tokens = new CopyOnWriteArrayList<>();

        // When
        ModelResult result = provider(true).complete(conversation(256), ScriptedModelProviderTest.CONTEXT, tokens::add);

        // Then
        assertThat(tokens).hasSizeGreaterThan(10);
        assertThat(String.join("", tokens)).isEqualTo(text);
        assertThat(result.reply().getText()).isEqualTo(text);
        assertThat(result.reply().getFinishReason()).isEqualTo(FinishReasons.STOP);
        assertThat(result.usage().getInputTokens()).isEqualTo(12);
        assertThat(result.usage().getOutputTokens()).isEqualTo(5);
    }

    @Test
    void shouldThrowRetryableWhenTheStreamIsCutAfterSomeTokens() throws IOException {
        // Given a server that drops the connection after message_start, ping, the block's start and three words
        server.close();
        List<String> tokens = new CopyOnWriteArrayList<>();
        CountDownLatch threeWords = new CountDownLatch(3);
        server = MessagesApiServer.respondingWith(
                request -> Response.ok(MessagesApiServer.textReply("one two three four five"))
                        .cutAfter(6, () -> await(threeWords)));

        // Then
        assertThatThrownBy(() -> provider(true).complete(conversation(256), ScriptedModelProviderTest.CONTEXT, t -> {
                    tokens.add(t);
                    threeWords.countDown();
                }))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("cannot reach model 'test-model'");
        assertThat(tokens).containsExactly("one ", "two ", "three ");
    }

    @Test
    void shouldClassifyAnErrorEventMidStreamByItsType() {
        // Given a 200 whose stream reports the API overloaded, then one that reports a bad request
        responseBody = MessagesApiServer.error("overloaded_error", "Overloaded");

        // Then
        assertThatThrownBy(() -> complete(provider(true), conversation(256)))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("HTTP 529");
        responseBody = MessagesApiServer.error("invalid_request_error", "no");
        assertThatThrownBy(() -> complete(provider(true), conversation(256)))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("HTTP 400");
    }

    @Test
    void shouldRefuseAnAnthropicEndpointWithoutAKey() {
        assertThatThrownBy(() -> new ModelEndpoint(
                        "claude", AnthropicModelProvider.NAME, URI.create(server.baseUrl()), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model endpoint 'claude' has no API key");
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
