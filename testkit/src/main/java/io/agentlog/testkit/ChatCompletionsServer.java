package io.agentlog.testkit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A local server speaking the OpenAI chat-completions protocol on 127.0.0.1, for tests of model endpoints: each POST
 * to {@code /v1/chat/completions} is recorded ({@link #requests()}) and answered by the test's responder, with a
 * status and headers of its choosing (e.g. 429 with {@code Retry-After}).
 */
public final class ChatCompletionsServer implements AutoCloseable {

    /** One request as the server saw it. */
    public record Request(Optional<String> authorization, String body) {}

    /** What to answer. */
    public record Response(int status, Map<String, String> headers, String body) {

        public static Response ok(String json) {
            return new Response(200, Map.of(), json);
        }
    }

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
            try (exchange) {
                Request request = new Request(
                        Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")),
                        new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                requests.add(request);
                Response response = responder.apply(request);
                byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                response.headers().forEach(exchange.getResponseHeaders()::add);
                exchange.sendResponseHeaders(response.status(), body.length);
                exchange.getResponseBody().write(body);
            }
        });
        server.start();
        return new ChatCompletionsServer(server, requests);
    }

    /** A chat completion whose assistant message is {@code text}. */
    public static String textReply(String text) {
        return """
                {"id":"chatcmpl-t","object":"chat.completion","created":1,"model":"test-model",
                 "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"%s"}}],
                 "usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}""".formatted(text.replace("\\", "\\\\").replace("\"", "\\\""));
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
