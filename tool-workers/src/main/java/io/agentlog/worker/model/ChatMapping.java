package io.agentlog.worker.model;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.worker.TerminalWorkException;
import java.util.ArrayList;
import java.util.List;

/** Our schema types to LangChain4j's and back, for every provider that calls its model through LangChain4j. */
final class ChatMapping {

    private ChatMapping() {}

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
