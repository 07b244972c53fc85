package io.agentlog.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * A local server speaking the OpenAI chat-completions protocol on 127.0.0.1, for tests of model endpoints: each POST
 * to {@code /v1/chat/completions} is recorded ({@link #requests()}) and answered by the test's responder, with a
 * status and headers of its choosing (e.g. 429 with {@code Retry-After}).
 *
 * <p>The responder always answers with a whole {@code chat.completion}. A request with {@code "stream": true} gets it
 * as the API streams it: server-sent events of {@code chat.completion.chunk}s ({@link #chunks}), then
 * {@code data: [DONE]}. An answer that is not 2xx is sent as it is, as the API does before a stream starts; a
 * {@linkplain Response#cutAfter cut} answer stops after some chunks and drops the connection.
 */
public final class ChatCompletionsServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A word and the white space after it: the pieces a streamed text comes in. */
    private static final Pattern PIECES = Pattern.compile("\\S+\\s*|\\s+");

    /** How many characters of a tool call's arguments each chunk carries, at least. */
    static final int ARGUMENT_PIECE_CHARS = 7;

    /**
     * Most chunks of a text, or of a tool call's arguments: a huge answer comes in bigger pieces, so a test of huge
     * answers does not spend its time on a hundred thousand chunks.
     */
    static final int MAX_PIECES = 64;

    /** One request as the server saw it. */
    public record Request(Optional<String> authorization, String body) {

        /** Whether it asks for a streamed answer ({@code "stream": true}). */
        public boolean streaming() {
            return json().path("stream").asBoolean(false);
        }

        /** Whether a streamed answer ends with a usage chunk ({@code "stream_options": {"include_usage": true}}). */
        public boolean includeUsage() {
            return json().path("stream_options").path("include_usage").asBoolean(false);
        }

        private JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (JsonProcessingException e) {
                return JSON.nullNode();
            }
        }
    }

    /**
     * What to answer.
     *
     * @param cut for a streamed answer: where to drop the connection, before the rest and before {@code [DONE]}
     */
    public record Response(int status, Map<String, String> headers, String body, Optional<Cut> cut) {

        public Response(int status, Map<String, String> headers, String body) {
            this(status, headers, body, Optional.empty());
        }

        public static Response ok(String json) {
            return new Response(200, Map.of(), json);
        }

        /**
         * This answer; streamed, it stops after {@code chunks} chunks and the connection is dropped once
         * {@code beforeCut} returns (e.g. when the client has seen those chunks: data in flight when a connection
         * drops may never reach the reader).
         */
        public Response cutAfter(int chunks, Runnable beforeCut) {
            return new Response(status, headers, body, Optional.of(new Cut(chunks, beforeCut)));
        }
    }

    /** Where a streamed answer is cut: after {@code afterChunks} chunks, once {@code beforeCut} has returned. */
    public record Cut(int afterChunks, Runnable beforeCut) {}

    private final HttpServer server;
    private final List<Request> requests;

    private ChatCompletionsServer(HttpServer server, List<Request> requests) {
        this.server = server;
        this.requests = requests;
    }

    /** Answers every request 200 with the JSON body the responder makes from the request body. */
    public static ChatCompletionsServer start(UnaryOperator<String> responder) throws IOException {
        return respondingWith(request -> Response.ok(responder.apply(request.body())));
    }

    /** Answers every request with what the responder returns for it. */
    public static ChatCompletionsServer respondingWith(Function<Request, Response> responder) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<Request> requests = new CopyOnWriteArrayList<>();
        server.createContext("/v1/chat/completions", exchange -> {
            Request request = new Request(
                    Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(request);
            Response response = responder.apply(request);
            response.headers().forEach(exchange.getResponseHeaders()::add);
            boolean success = response.status() >= 200 && response.status() < 300;
            if (success && request.streaming()) {
                stream(exchange, chunks(response.body(), request.includeUsage()), response.cut());
                return;
            }
            sendWhole(exchange, response);
        });
        server.start();
        return new ChatCompletionsServer(server, requests);
    }

    private static void stream(HttpExchange exchange, List<String> chunks, Optional<Cut> cut) throws IOException {
        List<String> events = new ArrayList<>();
        chunks.forEach(chunk -> events.add("data: " + chunk + "\n\n"));
        sendEvents(exchange, events, cut);
        exchange.getResponseBody().write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        exchange.close();
    }

    /** Answers with the response's status and its body as JSON. */
    static void sendWhole(HttpExchange exchange, Response response) throws IOException {
        try (exchange) {
            byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(response.status(), body.length);
            exchange.getResponseBody().write(body);
        }
    }

    /**
     * Starts a 200 event stream and writes the events (whole {@code event:}/{@code data:} frames) one by one; with a
     * cut, drops the connection before event {@code afterChunks} once {@code beforeCut} has returned. Leaves the
     * exchange open for the caller's last words.
     */
    static void sendEvents(HttpExchange exchange, List<String> events, Optional<Cut> cut) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().add("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (int i = 0; i < events.size(); i++) {
            if (cut.isPresent() && i == cut.get().afterChunks()) {
                cut.get().beforeCut().run();
                // thrown without closing the exchange: the server drops the connection mid-body
                throw new IOException("the test cuts this stream after " + i + " event(s)");
            }
            out.write(events.get(i).getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    /**
     * A {@code chat.completion} as the {@code chat.completion.chunk}s the API streams it in (without the final
     * {@code [DONE]}): the role; the content in {@linkplain #contentPieces pieces}; each tool call as a chunk with its
     * {@code index}, {@code id}, {@code type} and name, then its arguments {@value #ARGUMENT_PIECE_CHARS} characters
     * at a time (more when they are long: {@value #MAX_PIECES} pieces at most); the finish reason; and, when {@code includeUsage}, a last chunk with no choices and the usage (the
     * others then carry {@code "usage": null}).
     */
    public static List<String> chunks(String completionJson, boolean includeUsage) {
        JsonNode completion = read(completionJson);
        JsonNode choice = completion.path("choices").path(0);
        JsonNode message = choice.path("message");
        List<ObjectNode> deltas = new ArrayList<>();
        ObjectNode role = JSON.createObjectNode().put("role", "assistant");
        role.put("content", "");
        deltas.add(role);
        if (message.path("content").isTextual()) {
            for (String piece : contentPieces(message.path("content").asText())) {
                deltas.add(JSON.createObjectNode().put("content", piece));
            }
        }
        JsonNode toolCalls = message.path("tool_calls");
        for (int index = 0; index < toolCalls.size(); index++) {
            JsonNode call = toolCalls.get(index);
            ObjectNode first = toolCallDelta(index);
            first.put("id", call.path("id").asText())
                    .put("type", "function")
                    .putObject("function")
                    .put("name", call.path("function").path("name").asText())
                    .put("arguments", "");
            deltas.add(wrap(first));
            String arguments = call.path("function").path("arguments").asText();
            int pieceChars = Math.max(ARGUMENT_PIECE_CHARS, Math.ceilDiv(arguments.length(), MAX_PIECES));
            for (int at = 0; at < arguments.length(); at += pieceChars) {
                ObjectNode piece = toolCallDelta(index);
                piece.putObject("function")
                        .put("arguments", arguments.substring(at, Math.min(arguments.length(), at + pieceChars)));
                deltas.add(wrap(piece));
            }
        }
        List<String> chunks = new ArrayList<>();
        for (ObjectNode delta : deltas) {
            chunks.add(chunk(completion, delta, null, includeUsage));
        }
        chunks.add(chunk(
                completion,
                JSON.createObjectNode(),
                choice.path("finish_reason").asText("stop"),
                includeUsage));
        if (includeUsage) {
            ObjectNode last = chunkHead(completion);
            last.putArray("choices");
            last.set("usage", completion.path("usage"));
            chunks.add(last.toString());
        }
        return chunks;
    }

    /**
     * The pieces a streamed text comes in: each word with the white space after it; for a text of more than
     * {@value #MAX_PIECES} words, {@value #MAX_PIECES} runs of words at most.
     */
    public static List<String> contentPieces(String text) {
        List<String> words = PIECES.matcher(text).results().map(m -> m.group()).toList();
        if (words.size() <= MAX_PIECES) {
            return words;
        }
        int perPiece = Math.ceilDiv(words.size(), MAX_PIECES);
        List<String> pieces = new ArrayList<>();
        for (int at = 0; at < words.size(); at += perPiece) {
            pieces.add(String.join("", words.subList(at, Math.min(words.size(), at + perPiece))));
        }
        return pieces;
    }

    private static ObjectNode toolCallDelta(int index) {
        return JSON.createObjectNode().put("index", index);
    }

    private static ObjectNode wrap(ObjectNode toolCallDelta) {
        ObjectNode delta = JSON.createObjectNode();
        delta.putArray("tool_calls").add(toolCallDelta);
        return delta;
    }

    private static String chunk(JsonNode completion, ObjectNode delta, String finishReason, boolean includeUsage) {
        ObjectNode chunk = chunkHead(completion);
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode choice = choices.addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk.toString();
    }

    private static ObjectNode chunkHead(JsonNode completion) {
        return JSON.createObjectNode()
                .put("id", completion.path("id").asText("chatcmpl-t"))
                .put("object", "chat.completion.chunk")
                .put("created", completion.path("created").asLong(1))
                .put("model", completion.path("model").asText("test-model"));
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the responder's answer is not a JSON chat completion: " + json, e);
        }
    }

    /** A chat completion whose assistant message is {@code text}. */
    public static String textReply(String text) {
        return """
                {"id":"chatcmpl-t","object":"chat.completion","created":1,"model":"test-model",
                 "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":%s}}],
                 "usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}""".formatted(JSON.getNodeFactory().textNode(text).toString());
    }

    /** The base URL of the endpoint, including {@code /v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** Every request received so far, in order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
