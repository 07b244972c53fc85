package io.agentlog.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentlog.testkit.ChatCompletionsServer.Cut;
import io.agentlog.testkit.ChatCompletionsServer.Response;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A local server speaking Anthropic's Messages API on 127.0.0.1, for tests of anthropic model endpoints: each POST to
 * {@code /v1/messages} is recorded ({@link #requests()}) and answered by the test's responder with a status and headers
 * of its choosing ({@link ChatCompletionsServer.Response}: e.g. 429 or 529 with {@code retry-after}, or 400 with an
 * {@linkplain #error Anthropic error} body).
 *
 * <p>The responder always answers with a whole {@code message}. A request with {@code "stream": true} gets it as the
 * API streams it ({@link #events}): {@code message_start}, a {@code ping}, per content block
 * {@code content_block_start}, its {@code text_delta}s or {@code input_json_delta}s and {@code content_block_stop},
 * then {@code message_delta} (stop reason, output tokens) and {@code message_stop}. A 2xx answer whose body is an
 * error ({@code "type": "error"}) is streamed as an {@code error} event after {@code message_start}, as the API reports
 * failures mid-stream; a {@linkplain Response#cutAfter cut} answer stops after some events and drops the connection.
 */
public final class MessagesApiServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as the server saw it: its {@code x-api-key} and {@code anthropic-version} headers and its body. */
    public record Request(Optional<String> apiKey, Optional<String> version, String body) {

        public boolean streaming() {
            return json().path("stream").asBoolean(false);
        }

        public JsonNode json() {
            return read(body);
        }
    }

    /** One server-sent event: its name and JSON data. */
    public record Event(String name, String data) {}

    private final HttpServer server;
    private final List<Request> requests;

    private MessagesApiServer(HttpServer server, List<Request> requests) {
        this.server = server;
        this.requests = requests;
    }

    /** Answers every request with what the responder returns for it. */
    public static MessagesApiServer respondingWith(Function<Request, Response> responder) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<Request> requests = new CopyOnWriteArrayList<>();
        server.createContext("/v1/messages", exchange -> {
            Request request = new Request(
                    Optional.ofNullable(exchange.getRequestHeaders().getFirst("x-api-key")),
                    Optional.ofNullable(exchange.getRequestHeaders().getFirst("anthropic-version")),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(request);
            Response response = responder.apply(request);
            response.headers().forEach(exchange.getResponseHeaders()::add);
            boolean success = response.status() >= 200 && response.status() < 300;
            if (success && request.streaming()) {
                stream(exchange, events(response.body()), response.cut());
                return;
            }
            ChatCompletionsServer.sendWhole(exchange, response);
        });
        server.start();
        return new MessagesApiServer(server, requests);
    }

    private static void stream(HttpExchange exchange, List<Event> events, Optional<Cut> cut) throws IOException {
        ChatCompletionsServer.sendEvents(
                exchange,
                events.stream()
                        .map(event -> "event: " + event.name() + "\ndata: " + event.data() + "\n\n")
                        .toList(),
                cut);
        exchange.close();
    }

    /** A {@code message} (or an error) as the events the API streams it in (see the class comment). */
    public static List<Event> events(String messageJson) {
        JsonNode message = read(messageJson);
        List<Event> events = new ArrayList<>();
        ObjectNode start = JSON.createObjectNode().put("type", "message_start");
        ObjectNode head = start.putObject("message")
                .put("id", message.path("id").asText("msg_t"))
                .put("type", "message")
                .put("role", "assistant")
                .put("model", message.path("model").asText("test-model"));
        head.putArray("content");
        head.putNull("stop_reason");
        head.putNull("stop_sequence");
        ObjectNode startUsage = message.path("usage").isObject()
                ? ((ObjectNode) message.path("usage")).deepCopy()
                : JSON.createObjectNode();
        startUsage.put("output_tokens", 1);
        head.set("usage", startUsage);
        events.add(event(start));
        if ("error".equals(message.path("type").asText())) {
            events.add(new Event("error", message.toString()));
            return events;
        }
        events.add(event(JSON.createObjectNode().put("type", "ping")));
        JsonNode content = message.path("content");
        for (int index = 0; index < content.size(); index++) {
            JsonNode block = content.get(index);
            ObjectNode blockStart =
                    JSON.createObjectNode().put("type", "content_block_start").put("index", index);
            boolean toolUse = "tool_use".equals(block.path("type").asText());
            List<String> pieces;
            if (toolUse) {
                ObjectNode empty = blockStart
                        .putObject("content_block")
                        .put("type", "tool_use")
                        .put("id", block.path("id").asText())
                        .put("name", block.path("name").asText());
                empty.putObject("input");
                pieces = argumentPieces(block.path("input").toString());
            } else {
                blockStart.putObject("content_block").put("type", "text").put("text", "");
                pieces = ChatCompletionsServer.contentPieces(block.path("text").asText());
            }
            events.add(event(blockStart));
            for (String piece : pieces) {
                ObjectNode delta = JSON.createObjectNode()
                        .put("type", "content_block_delta")
                        .put("index", index);
                if (toolUse) {
                    delta.putObject("delta").put("type", "input_json_delta").put("partial_json", piece);
                } else {
                    delta.putObject("delta").put("type", "text_delta").put("text", piece);
                }
                events.add(event(delta));
            }
            events.add(event(
                    JSON.createObjectNode().put("type", "content_block_stop").put("index", index)));
        }
        ObjectNode messageDelta = JSON.createObjectNode().put("type", "message_delta");
        messageDelta
                .putObject("delta")
                .put("stop_reason", message.path("stop_reason").asText("end_turn"))
                .putNull("stop_sequence");
        messageDelta
                .putObject("usage")
                .put(
                        "output_tokens",
                        message.path("usage").path("output_tokens").asInt());
        events.add(event(messageDelta));
        events.add(event(JSON.createObjectNode().put("type", "message_stop")));
        return events;
    }

    private static List<String> argumentPieces(String json) {
        int pieceChars = Math.max(
                ChatCompletionsServer.ARGUMENT_PIECE_CHARS,
                Math.ceilDiv(json.length(), ChatCompletionsServer.MAX_PIECES));
        List<String> pieces = new ArrayList<>();
        for (int at = 0; at < json.length(); at += pieceChars) {
            pieces.add(json.substring(at, Math.min(json.length(), at + pieceChars)));
        }
        return pieces;
    }

    private static Event event(ObjectNode data) {
        return new Event(data.path("type").asText(), data.toString());
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON Messages API body: " + json, e);
        }
    }

    /** A message whose only content is {@code text}, with some usage. */
    public static String textReply(String text) {
        return """
                {"id":"msg_t","type":"message","role":"assistant","model":"test-model",
                 "content":[{"type":"text","text":%s}],"stop_reason":"end_turn","stop_sequence":null,
                 "usage":{"input_tokens":12,"output_tokens":5,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}""".formatted(JSON.getNodeFactory().textNode(text).toString());
    }

    /** An error in the API's shape, e.g. {@code error("overloaded_error", "Overloaded")}. */
    public static String error(String type, String message) {
        ObjectNode error = JSON.createObjectNode().put("type", "error");
        error.putObject("error").put("type", type).put("message", message);
        return error.toString();
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
