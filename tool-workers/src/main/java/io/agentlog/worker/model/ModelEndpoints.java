package io.agentlog.worker.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The model endpoints a worker owns: each provider's default endpoint plus named ones. Immutable.
 *
 * <p>Named endpoints are a JSON object of name to endpoint ({@code AGENTLOG_MODEL_ENDPOINTS}, or the file named by
 * {@code AGENTLOG_MODEL_ENDPOINTS_FILE}); the key comes from an environment variable or a file of the worker, never
 * from the list itself:
 *
 * <pre>
 * {"local": {"baseUrl": "http://127.0.0.1:8000/v1"},
 *  "prod":  {"provider": "openai", "baseUrl": "https://models.example/v1", "apiKeyEnv": "PROD_LLM_KEY"},
 *  "team":  {"baseUrl": "https://llm.team.example/v1", "apiKeyFile": "/run/secrets/team-llm-key"},
 *  "old":   {"baseUrl": "http://10.0.0.5:8080/v1", "stream": false}}
 * </pre>
 *
 * {@code stream} (default {@code true}) says whether answers are streamed; {@code false} for a server that does not
 * support {@code stream: true} with {@code stream_options}.
 */
public record ModelEndpoints(List<ModelEndpoint> all) {

    static final String PROVIDER = "provider";
    static final String BASE_URL = "baseUrl";
    static final String API_KEY_ENV = "apiKeyEnv";
    static final String API_KEY_FILE = "apiKeyFile";
    static final String STREAM = "stream";
    private static final Set<String> FIELDS = Set.of(PROVIDER, BASE_URL, API_KEY_ENV, API_KEY_FILE, STREAM);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    public ModelEndpoints {
        all = List.copyOf(all);
        Set<String> seen = new HashSet<>();
        for (ModelEndpoint endpoint : all) {
            String key = endpoint.name().isEmpty() ? "default " + endpoint.provider() : endpoint.name();
            if (!seen.add(key)) {
                throw new IllegalArgumentException("two model endpoints are named '" + key + "'");
            }
        }
    }

    public static ModelEndpoints of(ModelEndpoint... endpoints) {
        return new ModelEndpoints(List.of(endpoints));
    }

    /** The endpoint a model call of {@code provider} with {@code model.endpoint = name} goes to (empty: default). */
    public Optional<ModelEndpoint> find(String provider, String name) {
        return all.stream()
                .filter(e -> e.provider().equals(provider) && e.name().equals(name == null ? "" : name))
                .findFirst();
    }

    /** The named endpoints of {@code provider}, sorted, for messages. */
    public List<String> names(String provider) {
        return all.stream()
                .filter(e -> e.provider().equals(provider) && !e.name().isEmpty())
                .map(ModelEndpoint::name)
                .sorted()
                .toList();
    }

    /**
     * Parses a JSON endpoint list (see the class comment). {@code source} names where it came from in messages;
     * {@code env} is where {@code apiKeyEnv} variables are looked up. Every failure names the endpoint and quotes the
     * bad value (never a key).
     */
    public static List<ModelEndpoint> parse(String json, String source, Map<String, String> env) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + " must be a JSON object of endpoint name to endpoint, e.g."
                    + " {\"local\": {\"baseUrl\": \"http://127.0.0.1:8000/v1\", \"apiKeyEnv\": \"LOCAL_KEY\"}}");
        }
        List<ModelEndpoint> endpoints = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            endpoints.add(endpoint(entry.getKey(), entry.getValue(), source, env));
        }
        return endpoints;
    }

    private static ModelEndpoint endpoint(String name, JsonNode node, String source, Map<String, String> env) {
        String where = source + ": endpoint '" + name + "'";
        if (name.isEmpty()) {
            throw new IllegalArgumentException(source + ": an endpoint needs a name; the default endpoint is set by "
                    + "AGENTLOG_OPENAI_BASE_URL and AGENTLOG_OPENAI_API_KEY");
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be an object with baseUrl (and apiKeyEnv or"
                    + " apiKeyFile), but was " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        for (Iterator<String> fields = node.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (field.equalsIgnoreCase("apiKey") || field.equalsIgnoreCase("key") || field.equalsIgnoreCase("token")) {
                throw new IllegalArgumentException(where + " has its key inline ('" + field + "'): put the key in an"
                        + " environment variable (apiKeyEnv) or a file (apiKeyFile) instead");
            }
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(where + " has an unknown field '" + field + "'; known fields are "
                        + FIELDS.stream().sorted().toList());
            }
        }
        String provider = text(node, PROVIDER, where).orElse(OpenAiModelProvider.NAME);
        String url = text(node, BASE_URL, where)
                .orElseThrow(() ->
                        new IllegalArgumentException(where + " needs a baseUrl, e.g." + " http://127.0.0.1:8000/v1"));
        Optional<String> keyEnv = text(node, API_KEY_ENV, where);
        Optional<String> keyFile = text(node, API_KEY_FILE, where);
        if (keyEnv.isPresent() && keyFile.isPresent()) {
            throw new IllegalArgumentException(where + " has both apiKeyEnv and apiKeyFile; give one");
        }
        String forWhat = "model endpoint '" + name + "'";
        Optional<Credential> key = keyEnv.map(variable -> Credential.fromEnv(env, variable, forWhat))
                .or(() -> keyFile.map(file -> Credential.fromFile(Path.of(file), forWhat)));
        boolean stream = bool(node, STREAM, where).orElse(true);
        try {
            return new ModelEndpoint(name, provider, ModelEndpoint.baseUrl(url, where + " baseUrl"), key, stream);
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(source) ? e : new IllegalArgumentException(source + ": " + e.getMessage());
        }
    }

    private static Optional<String> text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": " + field + " must be a non-empty text, but was " + value);
        }
        return Optional.of(value.asText().strip());
    }

    private static Optional<Boolean> bool(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isBoolean()) {
            throw new IllegalArgumentException(where + ": " + field + " must be true or false, but was " + value);
        }
        return Optional.of(value.asBoolean());
    }

    /** Never prints a key. */
    @Override
    public String toString() {
        return all.toString();
    }
}
