package io.agentlog.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agentlog sessions}: a page of sessions, from the engine's HTTP API (every engine instance's sessions). */
@Command(
        name = "sessions",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Lists sessions, one per line (id, status, agent@version, steps, start), in id order, from the engine's"
                    + " HTTP API (GET /sessions).",
            "Filter with --status and --agent; page with --after (the last id shown) and --limit."
        })
final class SessionsCommand implements Callable<Integer> {

    static final String API_URL_ENV = "AGENTLOG_API_URL";
    static final String API_TOKEN_ENV = "AGENTLOG_API_TOKEN";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(
            names = "--api",
            paramLabel = "URL",
            description = "The engine's HTTP API (default: $" + API_URL_ENV + ", else http://127.0.0.1:8088).")
    String api;

    @Option(
            names = "--status",
            description = "Only sessions with this status: AWAITING_MODEL, AWAITING_TOOLS, AWAITING_APPROVAL,"
                    + " AWAITING_ANSWER, COMPLETED, FAILED, CANCELLED, BUDGET_EXCEEDED.")
    String status;

    @Option(names = "--agent", description = "Only sessions of this agent.")
    String agent;

    @Option(names = "--after", paramLabel = "SESSION", description = "Start after this session id (the next page).")
    String after;

    @Option(
            names = "--limit",
            defaultValue = "50",
            description = "At most this many (1-500, default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--json", description = "The API's answer as it is, for programs.")
    boolean json;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String base = Optional.ofNullable(api)
                .or(() -> Optional.ofNullable(System.getenv(API_URL_ENV)))
                .orElse("http://127.0.0.1:8088")
                .replaceAll("/+$", "");
        URI uri = URI.create(base + "/sessions?" + query());
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
        Optional.ofNullable(System.getenv(API_TOKEN_ENV))
                .filter(token -> !token.isBlank())
                .ifPresent(token -> request.header("Authorization", "Bearer " + token));
        HttpResponse<String> response;
        try (HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IllegalStateException("no HTTP API answers at " + base + ": is the engine up (agentlog up)? Set"
                    + " --api or $" + API_URL_ENV + " for another address");
        }
        JsonNode body = parse(response.body());
        if (response.statusCode() != 200) {
            String error = body.path("error").asText(response.body());
            if (response.statusCode() == 400) {
                throw new IllegalArgumentException(error);
            }
            throw new IllegalStateException(
                    "the HTTP API at " + base + " answered " + response.statusCode() + ": " + error);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(body);
            return 0;
        }
        body.path("sessions").forEach(session -> out.println(line(session)));
        if (!body.path("next").isNull() && !body.path("next").isMissingNode()) {
            out.println("(more: --after " + body.path("next").asText() + ")");
        }
        return 0;
    }

    static String line(JsonNode session) {
        return String.join(
                "  ",
                session.path("sessionId").asText(),
                session.path("status").asText(),
                session.path("agent").asText() + "@"
                        + session.path("agentVersion").asText(),
                session.path("steps").asText() + " steps",
                session.path("startedAt").asText());
    }

    private String query() {
        List<String> params = new ArrayList<>();
        params.add("limit=" + limit);
        Optional.ofNullable(status).ifPresent(s -> params.add("status=" + encode(s)));
        Optional.ofNullable(agent).ifPresent(a -> params.add("agent=" + encode(a)));
        Optional.ofNullable(after).ifPresent(a -> params.add("after=" + encode(a)));
        return String.join("&", params);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return JSON.createObjectNode().put("error", text);
        }
    }
}
