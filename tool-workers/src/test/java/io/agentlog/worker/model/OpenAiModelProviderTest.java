package io.agentlog.worker.model;

import static java.nio.charset.StandardCharsets.UTF_8;
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
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
        return provider(true);
    }

    /** The provider with a default endpoint at the server that streams its answers or not. */
    private OpenAiModelProvider provider(boolean stream) {
        return new OpenAiModelProvider(
                ModelEndpoints.of(endpoint("", baseUrl(), "test-key").withStream(stream)),
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

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldSendMessagesAndToolsAndMapToolCallsWhenTheModelCallsATool(boolean stream) {
        // Given
        responseBody = """
                {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"test-model",
                 "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
                   "tool_calls":[{"id":"call_abc","type":"function",
                     "function":{"name":"http_fetch","arguments":"{\\"url\\":\\"http://127.0.0.1:9/x\\"}"}}]}}],
                 "usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49,"prompt_tokens_details":{"cached_tokens":30}}}""";

        // When
        ModelResult result = complete(provider(stream), conversation(""));

        // Then the request is the chat-completions protocol
        assertThat(requests()).hasSize(1);
        Recorded request = requests().getFirst();
        assertThat(request.authorization()).isEqualTo("Bearer test-key");
        JsonNode body = request.body();
        assertThat(body.path("model").asText()).isEqualTo("test-model");
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.path("stream").asBoolean()).isEqualTo(stream);
        assertThat(body.path("stream_options").path("include_usage").asBoolean())
                .isEqualTo(stream);
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

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldCarryTheEndpointsRetryAfterWhenItAnswers429Or503(boolean stream) {
        // Given a rate limit in seconds
        status = 429;
        headers = Map.of("Retry-After", "12");
        responseBody = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}";

        // Then
        assertThatThrownBy(() -> complete(provider(stream), conversation("")))
                .isInstanceOfSatisfying(
                        RetryableWorkException.class,
                        e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(12)))
                .hasMessageContaining("HTTP 429")
                .hasMessageContaining("slow down");

        // And an HTTP-date on a 503
        status = 503;
        headers = Map.of("Retry-After", "Wed, 25 Nov 2026 12:00:30 GMT");
        assertThatThrownBy(() -> complete(provider(stream), conversation("")))
                .isInstanceOfSatisfying(
                        RetryableWorkException.class,
                        e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(30)));

        // And none on a 500, which Retry-After does not apply to
        status = 500;
        headers = Map.of("Retry-After", "5");
        assertThatThrownBy(() -> complete(provider(stream), conversation("")))
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

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldNeverRepeatTheKeyWhenTheEndpointEchoesItInAnError(boolean stream) {
        // Given an endpoint that echoes the request's authorization in its error body
        status = 401;
        responseBody = "{\"error\":{\"message\":\"bad key test-key (Authorization: Bearer test-key)\"}}";

        // Then
        assertThatThrownBy(() -> complete(provider(stream), conversation("")))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining("answered HTTP 401")
                .hasMessageContaining("check the API key of the default openai endpoint: it comes from the test")
                .hasMessageNotContaining("test-key");
    }

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldThrowRetryableWhenTheEndpointAnswers500Or429(boolean stream) {
        // Given
        responseBody = "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}";
        status = 500;

        // Then
        assertThatThrownBy(() -> complete(provider(stream), conversation("")))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("HTTP 500")
                .hasMessageContaining("overloaded");
        assertThat(requests()).as("no hidden retries inside LangChain4j").hasSize(1);

        status = 429;
        responseBody = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}";
        assertThatThrownBy(() -> complete(provider(stream), conversation("")))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("HTTP 429");
    }

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldThrowTerminalWhenTheEndpointAnswers400(boolean stream) {
        // Given
        status = 400;
        responseBody = "{\"error\":{\"message\":\"unknown parameter: foo\",\"type\":\"invalid_request_error\"}}";

        // Then
        assertThatThrownBy(() -> complete(provider(stream), conversation("")))
                .isInstanceOf(TerminalWorkException.class)
                .hasMessageContaining(
                        "model 'test-model' at the default openai endpoint (" + baseUrl() + ") answered HTTP 400")
                .hasMessageContaining("unknown parameter: foo");
    }

    @ParameterizedTest(name = "streaming: {0}")
    @ValueSource(booleans = {true, false})
    void shouldThrowRetryableWhenNothingListensAtTheBaseUrl(boolean stream) {
        // Given a port that was just freed
        String url = baseUrl();
        server.close();
        var provider = new OpenAiModelProvider(
                ModelEndpoints.of(endpoint("", url, null).withStream(stream)), Duration.ofSeconds(5));

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

    // ---- streamed answers ----

    private static ModelResult stream(OpenAiModelProvider provider, ModelCall call, List<String> tokens) {
        return stream(provider, call, tokens::add);
    }

    private static ModelResult stream(OpenAiModelProvider provider, ModelCall call, TokenStream tokens) {
        return provider.complete(call, ScriptedModelProviderTest.CONTEXT, tokens);
    }

    @Test
    void shouldStreamTheTextInOrderAndReturnTheSameTextWhenTheEndpointStreams() {
        // Given a long answer, which the server streams word by word
        String text =
                "The page says hello, and then it says a few more things about the weather in Lisbon.\nThat is all.";
        responseBody = ChatCompletionsServer.textReply(text);
        List<String> tokens = new CopyOnWriteArrayList<>();

        // When
        ModelResult result = stream(provider(), conversation(""), tokens);

        // Then every piece arrived, in order, before the call returned, and they make the final text
        assertThat(requests().getFirst().body().path("stream").asBoolean()).isTrue();
        assertThat(tokens).hasSizeGreaterThan(10).containsExactlyElementsOf(ChatCompletionsServer.contentPieces(text));
        assertThat(String.join("", tokens)).isEqualTo(text);
        assertThat(result.reply().getText()).isEqualTo(text);
        assertThat(result.reply().getToolCalls()).isEmpty();
        assertThat(result.reply().getFinishReason()).isEqualTo("stop");
        assertThat(result.usage().getInputTokens()).isEqualTo(12);
        assertThat(result.usage().getOutputTokens()).isEqualTo(5);
    }

    @Test
    void shouldAssembleTwoParallelToolCallsWhoseArgumentsArriveInPiecesWhenStreamed() {
        // Given two tool calls at once, their arguments streamed 7 characters per chunk, and usage in the last chunk
        responseBody = """
                {"id":"chatcmpl-3","object":"chat.completion","created":1700000000,"model":"test-model",
                 "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
                   "tool_calls":[
                     {"id":"call_a","type":"function","function":{"name":"http_fetch",
                       "arguments":"{\\"url\\":\\"http://127.0.0.1:9/first-page\\"}"}},
                     {"id":"call_b","type":"function","function":{"name":"http_fetch",
                       "arguments":"{\\"url\\":\\"http://127.0.0.1:9/second-page\\"}"}}]}}],
                 "usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59,
                   "prompt_tokens_details":{"cached_tokens":30}}}""";
        List<String> tokens = new CopyOnWriteArrayList<>();

        // When
        ModelResult result = stream(provider(), conversation(""), tokens);

        // Then the calls are whole, in order, and no text was streamed
        assertThat(ChatCompletionsServer.chunks(responseBody, true))
                .as("the arguments come in pieces")
                .hasSizeGreaterThan(10);
        assertThat(result.reply().getToolCalls())
                .extracting(ToolCall::getId, ToolCall::getName, ToolCall::getArguments)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "call_a", "http_fetch", "{\"url\":\"http://127.0.0.1:9/first-page\"}"),
                        org.assertj.core.groups.Tuple.tuple(
                                "call_b", "http_fetch", "{\"url\":\"http://127.0.0.1:9/second-page\"}"));
        assertThat(result.reply().getText()).isEmpty();
        assertThat(result.reply().getFinishReason()).isEqualTo("tool_calls");
        assertThat(tokens).isEmpty();
        // and the usage of the last chunk, cached tokens included
        assertThat(result.usage().getInputTokens()).isEqualTo(42);
        assertThat(result.usage().getOutputTokens()).isEqualTo(17);
        assertThat(result.usage().getCachedInputTokens()).isEqualTo(30);
    }

    @Test
    void shouldThrowRetryableWhenTheStreamIsCutAfterSomeTokens() throws IOException {
        // Given a server that drops the connection after the role and three words of the answer, once they arrived
        server.close();
        String text = "one two three four five six seven";
        List<String> tokens = new CopyOnWriteArrayList<>();
        CountDownLatch threeWords = new CountDownLatch(3);
        server = ChatCompletionsServer.respondingWith(
                request -> ChatCompletionsServer.Response.ok(ChatCompletionsServer.textReply(text))
                        .cutAfter(4, () -> await(threeWords)));

        // Then the call fails as an I/O error would, to be tried again, after the words that came
        assertThatThrownBy(() -> stream(provider(), conversation(""), token -> {
                    tokens.add(token);
                    threeWords.countDown();
                }))
                .isInstanceOf(RetryableWorkException.class)
                .hasMessageContaining("cannot reach model 'test-model'");
        assertThat(tokens).containsExactly("one ", "two ", "three ");
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shouldThrowRetryableWhenTheStreamStallsPastTheTimeout() throws Exception {
        // Given a server that starts a stream, sends one word and then nothing, without closing
        try (ServerSocket stalling = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> answerThenStall(stalling));
            var provider = new OpenAiModelProvider(
                    ModelEndpoints.of(endpoint("", "http://127.0.0.1:" + stalling.getLocalPort() + "/v1", null)),
                    Duration.ofSeconds(1));
            List<String> tokens = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();

            // Then the call ends at the endpoint's timeout, to be tried again
            assertThatThrownBy(() -> stream(provider, conversation(""), tokens))
                    .isInstanceOf(RetryableWorkException.class)
                    .hasMessageContaining("no complete answer within 1000 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
            assertThat(tokens).containsExactly("Hello ");
        }
    }

    @Test
    void shouldStopReadingAndStreamingWhenTheCallingThreadIsInterrupted() throws Exception {
        // Given a call whose stream sent one word and then stalls, on a thread of its own
        try (ServerSocket stalling = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CountDownLatch connectionClosed = new CountDownLatch(1);
            Thread.ofVirtual().start(() -> {
                answerThenStall(stalling);
                connectionClosed.countDown();
            });
            var provider = new OpenAiModelProvider(
                    ModelEndpoints.of(endpoint("", "http://127.0.0.1:" + stalling.getLocalPort() + "/v1", null)),
                    Duration.ofSeconds(30));
            List<String> tokens = new CopyOnWriteArrayList<>();
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            Thread call = Thread.ofVirtual().start(() -> {
                try {
                    stream(provider, conversation(""), tokens);
                    failure.complete(null);
                } catch (RuntimeException e) {
                    failure.complete(e);
                }
            });
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> tokens.contains("Hello "));

            // When the worker abandons the call (a cancel interrupts its thread)
            call.interrupt();

            // Then the call ends at once, as an interrupted non-streaming call does, and the connection is closed
            assertThat(failure.get(5, TimeUnit.SECONDS))
                    .isInstanceOf(TerminalWorkException.class)
                    .hasMessageContaining("InterruptedException");
            assertThat(connectionClosed.await(5, TimeUnit.SECONDS))
                    .as("the stream was cancelled")
                    .isTrue();
            assertThat(tokens).containsExactly("Hello ");
        }
    }

    @Test
    void shouldClassifyAnErrorTheEndpointReportsMidStreamByItsCodeElseAsTransient() throws Exception {
        String hello = "data: "
                + ChatCompletionsServer.chunks(ChatCompletionsServer.textReply("Hello world"), false)
                        .get(1);
        try (ServerSocket endpoint = new ServerSocket(0, 2, InetAddress.getLoopbackAddress())) {
            var provider = new OpenAiModelProvider(
                    ModelEndpoints.of(endpoint("", "http://127.0.0.1:" + endpoint.getLocalPort() + "/v1", null)),
                    Duration.ofSeconds(10));

            // Given a stream that reports a server error after a word, then ends
            Thread.ofVirtual().start(() -> serveOnce(endpoint, List.of(hello, """
                    data: {"error":{"message":"The server had an error while processing your request.",\
                    "type":"server_error","code":null}}""", "data: [DONE]"), false));

            // Then the call is tried again
            assertThatThrownBy(() -> complete(provider, conversation("")))
                    .isInstanceOf(RetryableWorkException.class)
                    .hasMessageContaining("answered HTTP 500")
                    .hasMessageContaining("The server had an error");

            // Given one that reports a bad request (vLLM's way), as an error event
            Thread.ofVirtual().start(() -> serveOnce(endpoint, List.of(hello, """
                    event: error
                    data: {"error":{"object":"error","message":"too many tokens","type":"BadRequestError","code":400}}                    """), false));

            // Then the call fails
            assertThatThrownBy(() -> complete(provider, conversation("")))
                    .isInstanceOf(TerminalWorkException.class)
                    .hasMessageContaining("answered HTTP 400")
                    .hasMessageContaining("too many tokens");
        }
    }

    /** Accepts one connection, reads the request's head, streams one chunk and keeps the connection open. */
    private static void answerThenStall(ServerSocket server) {
        String hello = "data: "
                + ChatCompletionsServer.chunks(ChatCompletionsServer.textReply("Hello world"), false)
                        .get(1);
        serveOnce(server, List.of(hello), true);
    }

    /**
     * Accepts one connection, reads the request, answers 200 with {@code events} (each with its blank line after it)
     * and then ends the body, or, when {@code hold}, sends nothing more until the client goes away.
     */
    private static void serveOnce(ServerSocket server, List<String> events, boolean hold) {
        try (Socket socket = server.accept()) {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), UTF_8));
            int length = 0;
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(
                            line.substring("content-length:".length()).strip());
                }
            }
            in.skip(length);
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(UTF_8));
            for (String event : events) {
                byte[] bytes = (event + "\n\n").getBytes(UTF_8);
                out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(UTF_8));
                out.write(bytes);
                out.write("\r\n".getBytes(UTF_8));
                out.flush();
            }
            if (hold) {
                while (in.read() != -1) {
                    // nothing more until the client goes away
                }
            } else {
                out.write("0\r\n\r\n".getBytes(UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }
}
