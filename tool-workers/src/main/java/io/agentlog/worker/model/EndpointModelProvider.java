package io.agentlog.worker.model;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What the providers that call a worker's {@link ModelEndpoints} through LangChain4j share: the endpoint lookup (an
 * unknown name fails before any request is sent), one LangChain4j model per endpoint and model name, streamed or whole
 * answers ({@link StreamedAnswer}) and the classification of failures ({@link ModelCallFailures#classify}). A
 * provider says how to build its LangChain4j models and how to read their answers.
 */
abstract class EndpointModelProvider implements ModelProvider {

    /**
     * The endpoint's HTTP client ends a stream that runs past the timeout itself; the caller waits this much longer
     * before it gives up on its own.
     */
    static final Duration STREAM_GRACE = Duration.ofSeconds(5);

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final ModelEndpoints endpoints;
    final Duration timeout;
    private final Clock clock;
    private final ConcurrentMap<ModelKey, ChatModel> models = new ConcurrentHashMap<>();
    private final ConcurrentMap<ModelKey, StreamingChatModel> streamingModels = new ConcurrentHashMap<>();

    /** @param timeout the time limit of one attempt (connect, send, read the whole answer) */
    EndpointModelProvider(ModelEndpoints endpoints, Duration timeout, Clock clock) {
        this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    record ModelKey(ModelEndpoint endpoint, String modelName) {}

    /** The LangChain4j model that answers whole, without retries of its own. */
    abstract ChatModel build(ModelKey key);

    /** The LangChain4j model that streams its answers. */
    abstract StreamingChatModel buildStreaming(ModelKey key);

    /** The answer as our result. */
    abstract ModelResult toResult(ChatResponse response, int turn);

    /** What the model name could be, for the message when a definition gives none. */
    abstract String modelNameExample();

    /** What to do when a definition names an endpoint the worker does not have. */
    abstract String unknownEndpointAdvice();

    @Override
    public final ModelResult complete(ModelCall call, WorkContext context) {
        return complete(call, context, TokenStream.NONE);
    }

    /**
     * Streams the answer unless the endpoint says it cannot, sending its text to {@code tokens} as it arrives; either
     * way the result is the whole answer, and failures are classified alike.
     */
    @Override
    public final ModelResult complete(ModelCall call, WorkContext context, TokenStream tokens) {
        ModelSpec spec = call.getModel();
        if (spec.getName().isBlank()) {
            throw new TerminalWorkException("the " + name() + " provider needs a model name: set model.name in the"
                    + " agent definition (e.g. " + modelNameExample() + ")");
        }
        ModelEndpoint endpoint = endpoint(spec.getEndpoint());
        ChatRequest request = ChatMapping.toChatRequest(call);
        ModelKey key = new ModelKey(endpoint, spec.getName());
        ChatResponse response;
        try {
            response = endpoint.stream()
                    ? StreamedAnswer.of(streamingModels.computeIfAbsent(key, this::buildStreaming), request, tokens)
                            .await(timeout.plus(STREAM_GRACE))
                    : models.computeIfAbsent(key, this::build).chat(request);
        } catch (RuntimeException e) {
            throw ModelCallFailures.classify(e, endpoint, spec.getName(), clock.instant());
        }
        return toResult(response, call.getTurn());
    }

    private ModelEndpoint endpoint(String name) {
        return endpoints.find(name(), name).orElseThrow(() -> {
            List<String> names = endpoints.names(name());
            return new TerminalWorkException("model endpoint '" + name + "' is not defined on this worker, so no"
                    + " request was sent; "
                    + (names.isEmpty() ? "it defines no named endpoints" : "it defines " + names)
                    + " (AGENTLOG_MODEL_ENDPOINTS); " + unknownEndpointAdvice());
        });
    }

    /** The endpoint's own HTTP client: it sends nothing outside the endpoint and keeps {@code Retry-After}. */
    final EndpointHttpClient.Builder httpClient(ModelEndpoint endpoint) {
        return EndpointHttpClient.builder(endpoint.baseUrl())
                .connectTimeout(CONNECT_TIMEOUT)
                .readTimeout(timeout);
    }
}
