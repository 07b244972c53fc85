package io.agentlog.worker.model;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.http.client.jdk.JdkHttpClientBuilder;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI itself, vLLM, llama.cpp, Ollama's {@code /v1}, LM Studio,
 * ...) through LangChain4j's OpenAI client on the JDK HTTP client.
 *
 * <p>The base URL (including {@code /v1}) comes from the model's {@code options.baseUrl}, else from the worker's
 * configuration, else LangChain4j's default; the model name from {@code ModelSpec.name}; the API key only from the
 * worker's environment, never from a definition. LangChain4j's own retries are off: a transient failure becomes a
 * {@link RetryableWorkException} and the share group redelivers the item, so the retry policy lives in one place.
 */
public final class OpenAiModelProvider implements ModelProvider {

    public static final String NAME = "openai";
    /** The {@code ModelSpec.options} key that overrides the worker's base URL. */
    public static final String BASE_URL_OPTION = "baseUrl";

    private static final int MAX_ERROR_BODY_CHARS = 500;

    private final Optional<String> defaultBaseUrl;
    private final Optional<String> apiKey;
    private final Duration timeout;
    private final ConcurrentMap<Endpoint, ChatModel> models = new ConcurrentHashMap<>();

    public OpenAiModelProvider(Optional<String> defaultBaseUrl, Optional<String> apiKey, Duration timeout) {
        this.defaultBaseUrl = Objects.requireNonNull(defaultBaseUrl, "defaultBaseUrl");
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    private record Endpoint(Optional<String> baseUrl, String modelName) {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ModelResult complete(ModelCall call) {
        ModelSpec spec = call.getModel();
        if (spec.getName().isBlank()) {
            throw new TerminalWorkException("the openai provider needs a model name: set model.name in the agent"
                    + " definition (e.g. the name the endpoint serves)");
        }
        Optional<String> baseUrl = Optional.ofNullable(spec.getOptions().get(BASE_URL_OPTION))
                .filter(url -> !url.isBlank())
                .or(() -> defaultBaseUrl);
        ChatRequest request = OpenAiMapping.toChatRequest(call);
        ChatModel model = models.computeIfAbsent(new Endpoint(baseUrl, spec.getName()), this::build);
        ChatResponse response;
        try {
            response = model.chat(request);
        } catch (RuntimeException e) {
            throw classify(e, baseUrl.orElse("(default endpoint)"), spec.getName());
        }
        return OpenAiMapping.toResult(response, call.getTurn());
    }

    private ChatModel build(Endpoint endpoint) {
        var builder = OpenAiChatModel.builder()
                .modelName(endpoint.modelName())
                .timeout(timeout)
                .maxRetries(0)
                // HTTP/1.1: many local OpenAI-compatible servers do not handle the JDK client's h2c upgrade
                .httpClientBuilder(new JdkHttpClientBuilder()
                        .httpClientBuilder(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1))
                        .connectTimeout(Duration.ofSeconds(10))
                        .readTimeout(timeout));
        endpoint.baseUrl().ifPresent(builder::baseUrl);
        apiKey.ifPresent(builder::apiKey);
        return builder.build();
    }

    /** Transient (I/O errors, timeouts, HTTP 5xx and 429) or terminal (everything else, e.g. HTTP 400 or 401). */
    static RuntimeException classify(RuntimeException error, String baseUrl, String modelName) {
        HttpException http = find(error, HttpException.class);
        String what = "model '" + modelName + "' at " + baseUrl;
        if (http != null) {
            String message = what + " answered HTTP " + http.statusCode() + ": " + excerpt(http.getMessage());
            boolean transientStatus = http.statusCode() == 429 || http.statusCode() == 408 || http.statusCode() >= 500;
            return transientStatus
                    ? new RetryableWorkException(message, error)
                    : new TerminalWorkException(message + hint(http.statusCode()), error);
        }
        if (find(error, RetriableException.class) != null || find(error, IOException.class) != null) {
            return new RetryableWorkException("cannot reach " + what + ": " + rootMessage(error), error);
        }
        return new TerminalWorkException("the call to " + what + " failed: " + rootMessage(error), error);
    }

    private static String hint(int status) {
        return switch (status) {
            case 401, 403 -> " (check AGENTLOG_OPENAI_API_KEY)";
            case 404 -> " (check the model name and that the base URL ends with /v1)";
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
            ModelReply reply = ModelReply.newBuilder()
                    .setText(text)
                    .setToolCalls(calls)
                    .setFinishReason(finishReason(response.finishReason(), !calls.isEmpty()))
                    .build();
            TokenUsage tokens = response.tokenUsage();
            Usage usage = Usage.newBuilder()
                    .setInputTokens(count(tokens == null ? null : tokens.inputTokenCount()))
                    .setOutputTokens(count(tokens == null ? null : tokens.outputTokenCount()))
                    .setCostMicros(0)
                    .build();
            return new ModelResult(reply, usage);
        }

        private static long count(Integer tokens) {
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
