package io.agentlog.engine.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.client.AvroJson;
import io.agentlog.engine.EngineTopology;
import io.agentlog.engine.internal.LocalSessionStores;
import io.agentlog.schemas.avro.SessionState;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads session state from the engine's stores, wherever it lives (interactive queries): a session's state is in the
 * {@code sessions} store of the instance that owns its partition; a request for it at another instance is forwarded
 * there once (marked with {@value #FORWARDED_HEADER}, so it is never forwarded twice). A list of sessions is gathered
 * from every instance.
 */
final class SessionQueries {

    /** Marks a request one instance sent another: answer from local state only. */
    static final String FORWARDED_HEADER = "X-Agentlog-Forwarded";

    static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaStreams streams;
    private final LocalSessionStores local;
    private final HostInfo self;
    private final HttpClient http;

    SessionQueries(KafkaStreams streams, HostInfo self) {
        this.streams = streams;
        this.local = new LocalSessionStores(streams);
        this.self = self;
        this.http = HttpClient.newBuilder().connectTimeout(FORWARD_TIMEOUT).build();
    }

    /**
     * The session's state as JSON, from the owning instance; empty when no instance knows the session.
     *
     * @param forwarded whether this request came from another instance (then it is answered from local state only)
     * @param authorization the caller's {@code Authorization} header, passed on when the request is forwarded
     */
    Optional<JsonNode> state(String sessionId, boolean forwarded, Optional<String> authorization) {
        KeyQueryMetadata owner = streams.queryMetadataForKey(
                EngineTopology.SESSIONS_STORE, sessionId, Serdes.String().serializer());
        if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            throw ApiException.unavailable("the engine is starting or rebalancing: no instance owns session "
                    + sessionId + " at the moment; try again");
        }
        if (owner.activeHost().equals(self)) {
            return Optional.ofNullable(store(owner.partition()).get(sessionId)).map(AvroJson::toTree);
        }
        if (forwarded) {
            throw ApiException.unavailable("session " + sessionId + " moved to another instance while the request"
                    + " was forwarded; try again");
        }
        Response response = get(owner.activeHost(), "/sessions/" + encode(sessionId), authorization);
        return switch (response.status()) {
            case 200 -> Optional.of(Json.parse(response.body()));
            case 404 -> Optional.empty();
            default -> throw new ApiException(response.status(), errorOf(response));
        };
    }

    /**
     * A page of sessions in id order, after {@code after} (exclusive), that {@code filter} accepts, from every
     * instance (or this one alone when {@code forwarded}).
     */
    List<JsonNode> list(Page page, boolean forwarded, Optional<String> authorization) {
        List<JsonNode> found = new ArrayList<>(local(page));
        if (!forwarded) {
            for (HostInfo host : otherHosts()) {
                Response response = get(host, "/sessions?" + page.query(), authorization);
                if (response.status() != 200) {
                    throw new ApiException(
                            response.status() == 404 ? 503 : response.status(),
                            "instance " + host + " could not list its sessions: " + errorOf(response));
                }
                Json.parse(response.body()).path("sessions").forEach(found::add);
            }
        }
        return found.stream()
                .sorted(Comparator.comparing(node -> node.path("sessionId").asText()))
                .limit(page.limit())
                .toList();
    }

    private List<JsonNode> local(Page page) {
        List<JsonNode> found = new ArrayList<>();
        for (int partition : local.partitions()) {
            int taken = 0;
            try (KeyValueIterator<String, SessionState> it =
                    store(partition).range(page.after().orElse(null), null)) {
                while (it.hasNext() && taken < page.limit()) {
                    KeyValue<String, SessionState> entry = it.next();
                    if (page.after().filter(entry.key::equals).isPresent() || !page.accepts(entry.value)) {
                        continue;
                    }
                    found.add(summary(entry.value));
                    taken++;
                }
            }
        }
        return found;
    }

    /** The fields a list shows of a session. */
    static JsonNode summary(SessionState state) {
        ObjectNode full = (ObjectNode) AvroJson.toTree(state);
        ObjectNode summary = Json.object();
        for (String field : List.of(
                "sessionId",
                "status",
                "agent",
                "agentVersion",
                "parentSessionId",
                "startedAt",
                "endedAt",
                "steps",
                "toolCalls",
                "usage")) {
            summary.set(field, full.get(field));
        }
        return summary;
    }

    private List<HostInfo> otherHosts() {
        return streams.streamsMetadataForStore(EngineTopology.SESSIONS_STORE).stream()
                .map(StreamsMetadata::hostInfo)
                .filter(host -> !host.equals(self) && !host.equals(HostInfo.unavailable()))
                .distinct()
                .toList();
    }

    private ReadOnlyKeyValueStore<String, SessionState> store(int partition) {
        try {
            return local.store(partition);
        } catch (InvalidStateStoreException e) {
            throw ApiException.unavailable(
                    "the sessions of partition " + partition + " are being restored or moved; try again");
        }
    }

    private Response get(HostInfo host, String pathAndQuery, Optional<String> authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://" + host.host() + ":" + host.port() + pathAndQuery))
                .timeout(FORWARD_TIMEOUT)
                .header(FORWARDED_HEADER, "true")
                .GET();
        authorization.ifPresent(value -> request.header("Authorization", value));
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw ApiException.unavailable("instance " + host + " does not answer: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted while asking instance " + host);
        }
    }

    private static String errorOf(Response response) {
        try {
            return Json.parse(response.body()).path("error").asText(response.body());
        } catch (RuntimeException e) {
            return "HTTP " + response.status();
        }
    }

    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private record Response(int status, String body) {}

    /**
     * Which sessions a list shows.
     *
     * @param after the last session id of the page before (exclusive), if any
     * @param limit at most this many
     * @param status only sessions with this status, if given
     * @param agent only sessions of this agent, if given
     */
    record Page(Optional<String> after, int limit, Optional<String> status, Optional<String> agent) {

        static final int MAX_LIMIT = 500;

        Page {
            if (limit < 1 || limit > MAX_LIMIT) {
                throw ApiException.badRequest("limit must be between 1 and " + MAX_LIMIT + ", but was " + limit);
            }
        }

        boolean accepts(SessionState state) {
            Predicate<SessionState> byStatus =
                    s -> status.map(wanted -> s.getStatus().name().equalsIgnoreCase(wanted))
                            .orElse(true);
            Predicate<SessionState> byAgent =
                    s -> agent.map(wanted -> wanted.equals(s.getAgent())).orElse(true);
            return byStatus.and(byAgent).test(state);
        }

        String query() {
            Map<String, Optional<String>> params = new java.util.LinkedHashMap<>();
            params.put("after", after);
            params.put("limit", Optional.of(String.valueOf(limit)));
            params.put("status", status);
            params.put("agent", agent);
            return params.entrySet().stream()
                    .filter(e -> e.getValue().isPresent())
                    .map(e -> e.getKey() + "=" + encode(e.getValue().get()))
                    .collect(Collectors.joining("&"));
        }
    }
}
