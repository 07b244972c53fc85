package io.agentlog.local;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * A local server speaking the OpenAI chat-completions protocol on 127.0.0.1: each POST to
 * {@code /v1/chat/completions} is answered with the JSON body the responder makes from the request body.
 */
final class ChatCompletionsServer implements AutoCloseable {

    private final HttpServer server;

    private ChatCompletionsServer(HttpServer server) {
        this.server = server;
    }

    static ChatCompletionsServer start(UnaryOperator<String> responder) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            byte[] body = responder.apply(request).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return new ChatCompletionsServer(server);
    }

    /** The base URL an agent definition's {@code options.baseUrl} takes. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
