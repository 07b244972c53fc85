package io.agentlog.worker.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.anthropic.AnthropicStreamingChatModel;
import dev.langchain4j.model.anthropic.AnthropicTokenUsage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.Usage;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Anthropic's Messages API ({@code POST /v1/messages}) through LangChain4j's Anthropic client on the endpoint's own
 * HTTP client ({@link EndpointHttpClient}), beside the {@linkplain OpenAiModelProvider OpenAI-compatible provider} and
 * alike in everything but the wire format: the same messages, tool calls, streaming, retries and usage.
 *
 * <p>It has no default endpoint: a model of this provider names one of the worker's endpoints with
 * {@code "provider": "anthropic"} in {@code model.endpoint} (e.g. {@code {"claude": {"provider": "anthropic",
 * "baseUrl": "https://api.anthropic.com/v1", "apiKeyEnv": "ANTHROPIC_API_KEY"}}}); the key goes in the
 * {@code x-api-key} header. {@code max_tokens}, which the API requires, is the model's {@code maxOutputTokens}, else
 * {@value #DEFAULT_MAX_TOKENS}.
 *
 * <p>Usage follows the OpenAI convention so that the same usage costs the same with either provider: Anthropic's
 * {@code input_tokens} excludes the tokens read from and written to the prompt cache, so {@code inputTokens} is
 * {@code input_tokens + cache_read_input_tokens + cache_creation_input_tokens} and {@code cachedInputTokens} is
 * {@code cache_read_input_tokens}. Failures are classified like the OpenAI provider's: 429, 408 and 5xx (Anthropic's
 * 529 "overloaded" included) are retryable with the endpoint's {@code Retry-After}, other 4xx terminal.
 */
public final class AnthropicModelProvider extends EndpointModelProvider {

    public static final String NAME = "anthropic";

    /** {@code max_tokens} when the model sets no {@code maxOutputTokens}. */
    public static final int DEFAULT_MAX_TOKENS = 4096;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** @param timeout the time limit of one attempt (connect, send, read the whole answer) */
    public AnthropicModelProvider(ModelEndpoints endpoints, Duration timeout) {
        this(endpoints, timeout, Clock.systemUTC());
    }

    AnthropicModelProvider(ModelEndpoints endpoints, Duration timeout, Clock clock) {
        super(endpoints, timeout, clock);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    String modelNameExample() {
        return "claude-sonnet-4-5";
    }

    @Override
    String unknownEndpointAdvice() {
        return "the anthropic provider has no default endpoint: set model.endpoint to an endpoint with"
                + " \"provider\": \"anthropic\"";
    }

    @Override
    ModelResult toResult(ChatResponse response, int turn) {
        return new ModelResult(compactArguments(ChatMapping.toReply(response, turn)), usage(response.tokenUsage()));
    }
    /**
     * The reply with its tool calls' arguments as compact JSON: LangChain4j pretty-prints the {@code input} of a
     * whole (not streamed) answer, and the same call should read the same either way.
     */
    private static ModelReply compactArguments(ModelReply reply) {
        if (reply.getToolCalls().isEmpty()) {
            return reply;
        }
        List<ToolCall> calls = reply.getToolCalls().stream()
                .map(call -> ToolCall.newBuilder(call)
                        .setArguments(compact(call.getArguments()))
                        .build())
                .toList();
        return ModelReply.newBuilder(reply).setToolCalls(calls).build();
    }

    private static String compact(String json) {
        try {
            return JSON.readTree(json).toString();
        } catch (JsonProcessingException e) {
            return json; // the tool call's own validation reports arguments that are not JSON
        }
    }

    /** Anthropic's usage in the OpenAI convention (see the class comment). */
    static Usage usage(TokenUsage tokens) {
        long input = ChatMapping.count(tokens == null ? null : tokens.inputTokenCount());
        long output = ChatMapping.count(tokens == null ? null : tokens.outputTokenCount());
        if (tokens instanceof AnthropicTokenUsage anthropic) {
            long read = ChatMapping.count(anthropic.cacheReadInputTokens());
            long written = ChatMapping.count(anthropic.cacheCreationInputTokens());
            return ChatMapping.usage(input + read + written, output, read);
        }
        return ChatMapping.usage(input, output, 0);
    }

    @Override
    ChatModel build(ModelKey key) {
        ModelEndpoint endpoint = key.endpoint();
        var builder = AnthropicChatModel.builder()
                .baseUrl(endpoint.baseUrl().toString())
                .modelName(key.modelName())
                .maxTokens(DEFAULT_MAX_TOKENS)
                .timeout(timeout)
                .maxRetries(0)
                .httpClientBuilder(httpClient(endpoint));
        endpoint.apiKey().map(Credential::value).ifPresent(builder::apiKey);
        return builder.build();
    }

    /** Like {@link #build}; LangChain4j's streaming model never retries. */
    @Override
    StreamingChatModel buildStreaming(ModelKey key) {
        ModelEndpoint endpoint = key.endpoint();
        var builder = AnthropicStreamingChatModel.builder()
                .baseUrl(endpoint.baseUrl().toString())
                .modelName(key.modelName())
                .maxTokens(DEFAULT_MAX_TOKENS)
                .timeout(timeout)
                .httpClientBuilder(httpClient(endpoint));
        endpoint.apiKey().map(Credential::value).ifPresent(builder::apiKey);
        return builder.build();
    }
}
