package io.agentlog.engine.http;

import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AgentlogException;
import io.agentlog.engine.internal.AgentsCatchUp;
import io.agentlog.engine.internal.RegisteredAgents;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.http.sse.SseHandler;
import io.javalin.http.staticfiles.Location;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's HTTP API (Javalin on Jetty, virtual threads): sessions, their live events as Server-Sent Events, the
 * controls, agents, health and readiness, its OpenAPI document and the instance's Prometheus metrics. See docs/api.md
 * and docs/observability.md.
 *
 * <p>It starts before the engine's Kafka Streams instance, so that the port it got (0 picks a free one) can be
 * advertised to the other instances as {@code application.server}; {@link #attach} then gives it the running instance.
 * Until then (and whenever Streams is not running) requests that need the stores answer 503.
 */
public final class HttpApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    static final String OPENAPI_RESOURCE = "openapi.json";
    /** Paths anyone may call: liveness, readiness, and the console's own files (its data calls need a token). */
    static final Set<String> OPEN_PATHS =
            Set.of("/health", "/ready", "/", "/index.html", "/console.js", "/console.css");
    /** Where the web console's static files are, on the class path. */
    static final String CONSOLE_DIRECTORY = "/io/agentlog/engine/http/console";
    /** The Prometheus text format that {@link PrometheusMeterRegistry#scrape()} writes. */
    static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpApiConfig config;
    private final AgentlogClient client;
    private final EventStream events;
    private final List<Route> routes;
    private final Javalin app;
    private volatile KafkaStreams streams;
    private volatile SessionQueries queries;
    private volatile RegisteredAgents registeredAgents;

    private HttpApi(HttpApiConfig config, AgentlogClient client, PrometheusMeterRegistry metrics) {
        this.config = config;
        this.client = client;
        this.events = new EventStream(client, config.maxStreamTime());
        SessionsApi sessions = new SessionsApi(client, this::queries);
        AgentsApi agents = new AgentsApi(client, this::registeredAgents);
        String openApi = resource(OPENAPI_RESOURCE);
        this.routes = List.of(
                new Route(
                        "GET",
                        "/health",
                        ctx -> Json.send(ctx, 200, Json.object().put("status", "UP"))),
                new Route("GET", "/ready", this::ready),
                new Route(
                        "GET",
                        "/metrics",
                        ctx -> ctx.contentType(METRICS_CONTENT_TYPE).result(metrics.scrape())),
                new Route(
                        "GET",
                        "/openapi.json",
                        ctx -> ctx.contentType(Json.CONTENT_TYPE).result(openApi)),
                new Route("POST", "/sessions", sessions::submit),
                new Route("GET", "/sessions", sessions::list),
                new Route("GET", "/sessions/{id}", sessions::get),
                new Route("GET", "/sessions/{id}/events", this::events),
                new Route("POST", "/sessions/{id}/cancel", sessions::cancel),
                new Route("POST", "/sessions/{id}/steer", sessions::steer),
                new Route("POST", "/sessions/{id}/approve", sessions::approve),
                new Route("POST", "/sessions/{id}/deny", sessions::deny),
                new Route("POST", "/sessions/{id}/answer", sessions::answer),
                new Route("GET", "/agents", agents::list),
                new Route("GET", "/agents/{name}", agents::get),
                new Route("GET", "/agents/{name}/versions/{version}", agents::get),
                new Route("PUT", "/agents/{name}", agents::put));
        this.app = Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.startup.showOldJavalinVersionWarning = false;
            javalin.concurrency.useVirtualThreads = true;
            // every answer but the event stream is JSON (an exception handler's answer would be text/plain)
            javalin.http.defaultContentType = Json.CONTENT_TYPE;
            javalin.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = CONSOLE_DIRECTORY;
                files.location = Location.CLASSPATH;
            });
            javalin.jetty.host = config.host();
            javalin.jetty.port = config.port();
            javalin.routes.before(this::authenticate);
            for (Route route : routes) {
                switch (route.method()) {
                    case "GET" -> javalin.routes.get(route.path(), route.handler());
                    case "POST" -> javalin.routes.post(route.path(), route.handler());
                    case "PUT" -> javalin.routes.put(route.path(), route.handler());
                    default -> throw new IllegalStateException("no method " + route.method());
                }
            }
            javalin.routes.exception(ApiException.class, (e, ctx) -> Json.error(ctx, e.status(), e.getMessage()));
            javalin.routes.exception(
                    HttpResponseException.class,
                    (e, ctx) -> Json.error(
                            ctx,
                            e.getStatus(),
                            e.getStatus() == 404
                                    ? "no such endpoint: " + ctx.method() + " " + ctx.path() + " (see /openapi.json)"
                                    : e.getMessage()));
            javalin.routes.exception(IllegalArgumentException.class, (e, ctx) -> Json.error(ctx, 400, e.getMessage()));
            javalin.routes.exception(AgentlogException.class, (e, ctx) -> Json.error(ctx, 503, e.getMessage()));
            javalin.routes.exception(
                    InvalidStateStoreException.class,
                    (e, ctx) -> Json.error(ctx, 503, "the engine is rebalancing; try again (" + e.getMessage() + ")"));
            javalin.routes.exception(Exception.class, (e, ctx) -> {
                log.warn("HTTP {} {} failed", ctx.method(), ctx.path(), e);
                Json.error(ctx, 500, "internal error: " + e);
            });
        });
    }

    /**
     * Starts the server, whose {@code /metrics} shows {@code metrics} and whose client reaches Kafka with
     * {@code kafkaProperties} besides the bootstrap servers; throws {@link IllegalStateException} with the
     * reason when it cannot listen.
     */
    public static HttpApi start(
            HttpApiConfig config,
            String bootstrapServers,
            Map<String, String> kafkaProperties,
            PrometheusMeterRegistry metrics) {
        AgentlogClient client = new AgentlogClient(bootstrapServers, kafkaProperties);
        HttpApi api = new HttpApi(config, client, metrics);
        try {
            api.app.start();
        } catch (RuntimeException e) {
            api.close();
            throw new IllegalStateException(
                    "the HTTP API cannot listen on " + config.host() + ":" + config.port() + ": " + rootMessage(e), e);
        }
        log.info(
                "HTTP API on http://{}:{} ({})",
                config.host(),
                api.port(),
                config.tokens().isEmpty() ? "no authentication" : "bearer tokens");
        return api;
    }

    /** One endpoint: its method, its path (Javalin's syntax, as in the OpenAPI document), what answers it. */
    record Route(String method, String path, Handler handler) {}

    /** Every endpoint it serves. */
    List<Route> routes() {
        return routes;
    }

    /** The port it listens on. */
    public int port() {
        return app.port();
    }

    /** How other engine instances reach this one: Streams' {@code application.server}. */
    public HostInfo hostInfo() {
        return new HostInfo(config.advertised(), port());
    }

    /** Gives the API the running engine, whose stores it reads ({@code agents} once it has caught up). */
    public void attach(KafkaStreams running, AgentsCatchUp agentsCatchUp) {
        this.streams = running;
        this.queries = new SessionQueries(running, hostInfo());
        this.registeredAgents = new RegisteredAgents(running, agentsCatchUp);
    }

    @Override
    public void close() {
        app.stop();
        events.close();
        client.close();
    }

    private SessionQueries queries() {
        SessionQueries current = queries;
        if (current == null) {
            throw ApiException.unavailable("the engine is starting; try again");
        }
        return current;
    }

    private RegisteredAgents registeredAgents() {
        RegisteredAgents current = registeredAgents;
        if (current == null) {
            throw ApiException.unavailable("the engine is starting; try again");
        }
        return current;
    }

    private void ready(Context ctx) {
        KafkaStreams current = streams;
        String state = current == null ? "STARTING" : current.state().name();
        boolean ready = current != null && current.state() == KafkaStreams.State.RUNNING;
        Json.send(ctx, ready ? 200 : 503, Json.object().put("ready", ready).put("state", state));
    }

    private void events(Context ctx) {
        String sessionId = SessionsApi.sessionId(ctx);
        long after = EventStream.after(ctx);
        queries(); // 503 while the engine starts
        new SseHandler(sse -> events.stream(sse, sessionId, after)).handle(ctx);
    }

    private void authenticate(Context ctx) {
        if (config.tokens().isEmpty() || OPEN_PATHS.contains(ctx.path())) {
            return;
        }
        String token = bearerToken(ctx);
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        boolean known = config.tokens().stream()
                .anyMatch(candidate -> MessageDigest.isEqual(candidate.getBytes(StandardCharsets.UTF_8), given));
        if (!known) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(
                    401,
                    token.isEmpty() ? "this API needs a bearer token (Authorization: Bearer ...)" : "unknown token");
        }
    }

    /**
     * The request's bearer token: its {@code Authorization} header, or for the event stream (a browser's
     * {@code EventSource} cannot send headers) its {@code access_token} parameter; empty when it has none.
     */
    private static String bearerToken(Context ctx) {
        String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
        if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).strip();
        }
        return ctx.path().endsWith("/events")
                ? Optional.ofNullable(ctx.queryParam("access_token")).orElse("")
                : "";
    }

    private static String resource(String name) {
        try (InputStream in = HttpApi.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name + " next to " + HttpApi.class.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
