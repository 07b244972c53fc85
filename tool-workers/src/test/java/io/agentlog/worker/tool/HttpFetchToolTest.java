package io.agentlog.worker.tool;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.WorkContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpFetchToolTest {

    private HttpServer server;
    private int port;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hello", exchange -> respond(exchange, 200, "hello from the test server"));
        server.createContext("/big", exchange -> respond(exchange, 200, "x".repeat(100)));
        server.createContext("/moved", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://example.invalid/elsewhere");
            respond(exchange, 302, "");
        });
        server.start();
        port = server.getAddress().getPort();
    }

    private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    static ToolOutput fetch(HttpFetchTool tool, String arguments) {
        ToolInvocation invocation = ToolInvocation.newBuilder()
                .setToolCallId("call_0_0")
                .setTool("http_fetch")
                .setArguments(arguments)
                .setIdempotencyKey("s-1/w-1")
                .setTimeoutMs(5_000)
                .build();
        return tool.run(
                invocation,
                new WorkContext("s-1", "w-1", "s-1/w-1", Instant.now().plusSeconds(5), "test", 1));
    }

    private String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    @Test
    void shouldReturnStatusAndBodyWhenTheHostAndPortAreAllowed() {
        var tool = new HttpFetchTool(Set.of("127.0.0.1:" + port));

        ToolOutput output = fetch(tool, "{\"url\":\"" + url("/hello") + "\"}");

        assertThat(output.getIsError()).isFalse();
        assertThat(output.getContent())
                .startsWith("HTTP 200\n")
                .contains("content-type: text/plain; charset=utf-8")
                .endsWith("\n\nhello from the test server");
    }

    @Test
    void shouldAllowEveryPortWhenTheEntryIsAHostOnly() {
        ToolOutput output = fetch(new HttpFetchTool(Set.of("127.0.0.1")), "{\"url\":\"" + url("/hello") + "\"}");

        assertThat(output.getIsError()).isFalse();
    }

    @Test
    void shouldRefuseWithClearErrorWhenTheHostIsNotAllowed() {
        ToolOutput output =
                fetch(new HttpFetchTool(Set.of("127.0.0.1:" + (port + 1))), "{\"url\":\"" + url("/hello") + "\"}");

        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent()).contains("127.0.0.1:" + port + " is not on this worker's allow-list");

        ToolOutput other =
                fetch(new HttpFetchTool(Set.of("127.0.0.1")), "{\"url\":\"http://localhost:" + port + "/hello\"}");
        assertThat(other.getIsError()).isTrue();
        assertThat(other.getContent()).contains("localhost:" + port + " is not on");
    }

    @Test
    void shouldRefuseEverythingWhenTheAllowListIsEmpty() {
        ToolOutput output = fetch(new HttpFetchTool(Set.of()), "{\"url\":\"" + url("/hello") + "\"}");

        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent()).contains("(the list is empty)").contains("AGENTLOG_HTTP_ALLOW");
    }

    @Test
    void shouldRejectBadArgumentsWithAnErrorOutputWhenCalledWrongly() {
        var tool = new HttpFetchTool(Set.of("127.0.0.1"));

        assertThat(fetch(tool, "{}").getContent()).contains("needs the string argument 'url'");
        assertThat(fetch(tool, "{\"url\": 42}").getContent()).contains("argument 'url' must be a string, but was 42");
        assertThat(fetch(tool, "not json").getContent()).contains("are not valid JSON");
        assertThat(fetch(tool, "[\"http://x\"]").getContent()).contains("must be a JSON object");
        assertThat(fetch(tool, "{\"url\":\"" + url("/hello") + "\",\"method\":\"POST\"}")
                        .getContent())
                .contains("does not take the argument(s) [method]");
        assertThat(fetch(tool, "{\"url\":\"file:///etc/passwd\"}").getContent())
                .contains("only http and https URLs can be fetched");
        assertThat(fetch(tool, "{\"url\":\"http://user:pw@127.0.0.1/\"}").getContent())
                .contains("URLs with credentials");
        assertThat(fetch(tool, "{\"url\":\"http://bad host/\"}").getContent()).contains("is not a valid URL");
        assertThat(fetch(tool, "{}").getIsError()).isTrue();
    }

    @Test
    void shouldCapTheBodyWithAMarkerWhenItIsTooLong() {
        ToolOutput output = fetch(new HttpFetchTool(Set.of("127.0.0.1"), 10), "{\"url\":\"" + url("/big") + "\"}");

        assertThat(output.getIsError()).isFalse();
        assertThat(output.getContent()).endsWith("\n\nxxxxxxxxxx\n[truncated: the body is longer than 10 bytes]");
    }

    @Test
    void shouldNotFollowRedirectsWhenTheServerRedirects() {
        ToolOutput output = fetch(new HttpFetchTool(Set.of("127.0.0.1")), "{\"url\":\"" + url("/moved") + "\"}");

        assertThat(output.getIsError()).isFalse();
        assertThat(output.getContent()).startsWith("HTTP 302\n").contains("location: http://example.invalid/elsewhere");
    }

    @Test
    void shouldReturnAnErrorOutputWhenTheServerIsDown() {
        var tool = new HttpFetchTool(Set.of("127.0.0.1"));
        server.stop(0);

        ToolOutput output = fetch(tool, "{\"url\":\"" + url("/hello") + "\"}");

        assertThat(output.getIsError()).isTrue();
        assertThat(output.getContent()).contains("cannot fetch " + url("/hello"));
    }
}
