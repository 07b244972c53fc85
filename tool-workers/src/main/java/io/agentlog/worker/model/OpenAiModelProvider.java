package io.agentlog.worker.model;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiTokenUsage;
import dev.langchain4j.model.output.TokenUsage;
import io.agentlog.worker.RetryableWorkException;
import java.time.Clock;
import java.time.Duration;

/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI itself, vLLM, llama.cpp, Ollama's {@code /v1}, LM Studio,
 * ...) through LangChain4j's OpenAI client on the JDK HTTP client.
 *
 * <p>Where a call goes and with which key is the worker's: the model's {@code endpoint} names one of the worker's
 * {@link ModelEndpoints} (empty = the default endpoint, {@code AGENTLOG_OPENAI_BASE_URL} and
 * {@code AGENTLOG_OPENAI_API_KEY}); an unknown name fails before any request is sent, and each endpoint's HTTP client
 * sends nothing outside its base URL ({@link EndpointHttpClient}). The model name comes from {@code ModelSpec.name}.
 *
 * <p>Answers are streamed ({@code stream: true}, usage in the last chunk) and their text goes to the call's
 * {@link TokenStream} as it arrives, unless the endpoint is configured with {@code stream: false} for a server that
 * cannot stream; the result and the classification of failures are the same either way ({@link StreamedAnswer}).
 *
 * <p>LangChain4j's own retries are off: a transient failure becomes a {@link RetryableWorkException} (with the
 * endpoint's {@code Retry-After} on a 429 or 503) and the worker's {@code WorkExecutor} decides when to try again, so
 * the retry policy lives in one place. Error texts never carry the endpoint's key.
 */
public final class OpenAiModelProvider extends EndpointModelProvider {

    public static final String NAME = "openai";

    /** @param timeout the time limit of one attempt (connect, send, read the whole answer) */
    public OpenAiModelProvider(ModelEndpoints endpoints, Duration timeout) {
        this(endpoints, timeout, Clock.systemUTC());
    }

    OpenAiModelProvider(ModelEndpoints endpoints, Duration timeout, Clock clock) {
        super(endpoints, timeout, clock);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    String modelNameExample() {
        return "the name the endpoint serves";
    }

    @Override
    String unknownEndpointAdvice() {
        return "leave model.endpoint empty for the default endpoint";
    }

    @Override
    ModelResult toResult(ChatResponse response, int turn) {
        TokenUsage tokens = response.tokenUsage();
        return new ModelResult(
                ChatMapping.toReply(response, turn),
                ChatMapping.usage(
                        ChatMapping.count(tokens == null ? null : tokens.inputTokenCount()),
                        ChatMapping.count(tokens == null ? null : tokens.outputTokenCount()),
                        cachedTokens(tokens)));
    }

    @Override
    ChatModel build(ModelKey key) {
        ModelEndpoint endpoint = key.endpoint();
        var builder = OpenAiChatModel.builder()
                .baseUrl(endpoint.baseUrl().toString())
                .modelName(key.modelName())
                .timeout(timeout)
                .maxRetries(0)
                .httpClientBuilder(httpClient(endpoint));
        endpoint.apiKey().map(Credential::value).ifPresent(builder::apiKey);
        return builder.build();
    }

    /** Like {@link #build}; LangChain4j's streaming model never retries and asks for usage in the last chunk. */
    @Override
    StreamingChatModel buildStreaming(ModelKey key) {
        ModelEndpoint endpoint = key.endpoint();
        var builder = OpenAiStreamingChatModel.builder()
                .baseUrl(endpoint.baseUrl().toString())
                .modelName(key.modelName())
                .timeout(timeout)
                .httpClientBuilder(httpClient(endpoint));
        endpoint.apiKey().map(Credential::value).ifPresent(builder::apiKey);
        return builder.build();
    }

    /** Input tokens served from the provider's prompt cache ({@code usage.prompt_tokens_details.cached_tokens}). */
    private static long cachedTokens(TokenUsage tokens) {
        if (tokens instanceof OpenAiTokenUsage openAi && openAi.inputTokensDetails() != null) {
            return ChatMapping.count(openAi.inputTokensDetails().cachedTokens());
        }
        return 0;
    }
}
