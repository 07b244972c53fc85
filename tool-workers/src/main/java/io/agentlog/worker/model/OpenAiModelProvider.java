package io.agentlog.worker.model;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiTokenUsage;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.agentlog.schemas.Secrets;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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

    private static final int MAX_ERROR_BODY_CHARS = 500;

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
        return OpenAiMapping.toResult(response, turn);
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

    /** Our schema types to LangChain4j's and back. */
    static final class OpenAiMapping {

        private OpenAiMapping() {}

        static ChatRequest toChatRequest(ModelCall call) {
            ModelSpec spec = call.getModel();
            var builder = ChatRequest.builder().messages(toMessages(call.getMessages()));
            if (!call.getTools().isEmpty()) {
                builder.toolSpecifications(call.getTools().stream()
                        .map(JsonSchemas::toToolSpecification)
                        .toList());
            }
            if (spec.getTemperature() != null) {
                builder.temperature(spec.getTemperature());
            }
            if (spec.getMaxOutputTokens() != null) {
                builder.maxOutputTokens(spec.getMaxOutputTokens());
            }
            return builder.build();
        }

        static List<ChatMessage> toMessages(List<Message> messages) {
            if (messages.isEmpty()) {
                throw new TerminalWorkException("the model call has no messages; a chat completion needs at least one");
            }
            List<ChatMessage> out = new ArrayList<>(messages.size());
            for (int i = 0; i < messages.size(); i++) {
                Message message = messages.get(i);
                switch (message.getRole()) {
                    case SYSTEM -> {
                        if (!message.getContent().isBlank()) {
                            out.add(SystemMessage.from(message.getContent()));
                        }
                    }
                    case USER -> out.add(UserMessage.from(message.getContent()));
                    case ASSISTANT ->
                        out.add(AiMessage.builder()
                                .text(message.getContent().isEmpty() ? null : message.getContent())
                                .toolExecutionRequests(message.getToolCalls().stream()
                                        .map(c -> ToolExecutionRequest.builder()
                                                .id(c.getId())
                                                .name(c.getName())
                                                .arguments(c.getArguments())
                                                .build())
                                        .toList())
                                .build());
                    case TOOL -> {
                        if (message.getToolCallId() == null
                                || message.getToolCallId().isBlank()) {
                            throw new TerminalWorkException("message " + i + " is a TOOL result without a toolCallId;"
                                    + " every tool result must name the call it answers");
                        }
                        out.add(ToolExecutionResultMessage.builder()
                                .id(message.getToolCallId())
                                .toolName(message.getToolName())
                                .text(message.getContent())
                                .isError(message.getIsError())
                                .build());
                    }
                }
            }
            return out;
        }

        static ModelResult toResult(ChatResponse response, int turn) {
            TokenUsage tokens = response.tokenUsage();
            return new ModelResult(
                    toReply(response, turn),
                    usage(
                            count(tokens == null ? null : tokens.inputTokenCount()),
                            count(tokens == null ? null : tokens.outputTokenCount()),
                            cachedTokens(tokens)));
        }

        /**
         * Usage in one convention for every provider: {@code inputTokens} counts all input tokens, those served
         * from the prompt cache included, and {@code cachedInputTokens} those of them served from the cache; the cost
         * is left to the price table.
         */
        static Usage usage(long inputTokens, long outputTokens, long cachedInputTokens) {
            return Usage.newBuilder()
                    .setInputTokens(inputTokens)
                    .setOutputTokens(outputTokens)
                    .setCostMicros(0) // the engine prices turns from the definition's prices
                    .setCachedInputTokens(cachedInputTokens)
                    .build();
        }

        static ModelReply toReply(ChatResponse response, int turn) {
            AiMessage ai = response.aiMessage();
            List<ToolCall> calls = new ArrayList<>();
            if (ai != null && ai.hasToolExecutionRequests()) {
                List<ToolExecutionRequest> requests = ai.toolExecutionRequests();
                for (int n = 0; n < requests.size(); n++) {
                    ToolExecutionRequest request = requests.get(n);
                    boolean noId = request.id() == null || request.id().isBlank();
                    calls.add(ToolCall.newBuilder()
                            .setId(noId ? "call_" + turn + "_" + n : request.id())
                            .setName(request.name())
                            .setArguments(
                                    request.arguments() == null
                                                    || request.arguments().isBlank()
                                            ? "{}"
                                            : request.arguments())
                            .build());
                }
            }
            String text = ai == null || ai.text() == null ? "" : ai.text();
            return ModelReply.newBuilder()
                    .setText(text)
                    .setToolCalls(calls)
                    .setFinishReason(finishReason(response.finishReason(), !calls.isEmpty()))
                    .build();
        }

        /** Input tokens served from the provider's prompt cache ({@code usage.prompt_tokens_details.cached_tokens}). */
        private static long cachedTokens(TokenUsage tokens) {
            if (tokens instanceof OpenAiTokenUsage openAi && openAi.inputTokensDetails() != null) {
                return count(openAi.inputTokensDetails().cachedTokens());
            }
            return 0;
        }

        static long count(Integer tokens) {
            return tokens == null ? 0 : tokens;
        }

        private static String finishReason(FinishReason reason, boolean hasToolCalls) {
            if (reason == null) {
                return hasToolCalls ? FinishReasons.TOOL_CALLS : FinishReasons.STOP;
            }
            return switch (reason) {
                case STOP -> FinishReasons.STOP;
                case TOOL_EXECUTION -> FinishReasons.TOOL_CALLS;
                case LENGTH -> FinishReasons.LENGTH;
                case CONTENT_FILTER -> FinishReasons.CONTENT_FILTER;
                case OTHER -> FinishReasons.OTHER;
            };
        }
    }
}
