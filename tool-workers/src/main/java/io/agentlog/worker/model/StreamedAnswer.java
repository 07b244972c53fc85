package io.agentlog.worker.model;

import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streamed chat completion, for a caller that blocks until it is whole: its text goes to the call's
 * {@link TokenStream} as it arrives (on the HTTP client's thread), and {@link #await} returns the complete response
 * LangChain4j assembled (text, tool calls, usage, finish reason) or throws the error it ended with, as the
 * non-streaming {@code ChatModel.chat} would have thrown it. A caller that stops waiting (time limit, interrupt)
 * abandons the answer: no text reaches the token stream after that, and the stream is cancelled.
 */
final class StreamedAnswer implements StreamingChatResponseHandler {

    private static final Logger log = LoggerFactory.getLogger(StreamedAnswer.class);

    private final TokenStream tokens;
    private final CompletableFuture<ChatResponse> response = new CompletableFuture<>();
    private boolean abandoned;
    private boolean tokensFailed;
    private StreamingHandle handle;

    private StreamedAnswer(TokenStream tokens) {
        this.tokens = tokens;
    }

    /** Sends {@code request}; the answer streams in while the caller goes on to {@link #await} it. */
    static StreamedAnswer of(StreamingChatModel model, ChatRequest request, TokenStream tokens) {
        StreamedAnswer answer = new StreamedAnswer(tokens);
        model.chat(request, answer);
        return answer;
    }

    /**
     * The complete response, waiting at most {@code limit} for it.
     *
     * @throws RuntimeException what the stream ended with; a {@link TimeoutException} past {@code limit}; on an
     *     interrupt, with the thread's interrupt status set again, a {@code RuntimeException} caused by the
     *     {@link InterruptedException} (what the non-streaming client throws)
     */
    ChatResponse await(Duration limit) {
        try {
            return response.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            abandon();
            throw new TimeoutException("no complete answer within " + limit.toMillis() + " ms");
        } catch (InterruptedException e) {
            abandon();
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new RuntimeException(e.getCause());
        }
    }

    private synchronized void abandon() {
        abandoned = true;
        if (handle != null) {
            handle.cancel();
        }
    }

    @Override
    public synchronized void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
        if (keepStreaming(context.streamingHandle()) && !tokensFailed) {
            try {
                tokens.append(partial.text());
            } catch (RuntimeException e) {
                tokensFailed = true; // tokens are best effort: the answer goes on without them
                log.debug("Not streaming the rest of a model's answer: {}", e.toString());
            }
        }
    }

    @Override
    public synchronized void onPartialToolCall(PartialToolCall partial, PartialToolCallContext context) {
        keepStreaming(context.streamingHandle());
    }

    /** Remembers the stream's handle, and cancels the stream if its caller has given up. */
    private boolean keepStreaming(StreamingHandle streamingHandle) {
        if (handle == null) {
            handle = streamingHandle;
        }
        if (abandoned && streamingHandle != null) {
            streamingHandle.cancel();
        }
        return !abandoned;
    }

    @Override
    public void onCompleteResponse(ChatResponse complete) {
        response.complete(complete);
    }

    @Override
    public void onError(Throwable error) {
        response.completeExceptionally(error);
    }
}
