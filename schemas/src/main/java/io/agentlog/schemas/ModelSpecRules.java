package io.agentlog.schemas;

import io.agentlog.schemas.avro.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an agent definition's {@code model} may say about where its calls go: it names one of the worker's endpoints
 * ({@code model.endpoint}; empty = the provider's default endpoint) and never a URL or a credential. The worker owns
 * its endpoints (base URL and API key, {@code AGENTLOG_MODEL_ENDPOINTS}), so whoever may write a definition cannot
 * send the worker's key to a server of their choosing.
 *
 * <p>One rule for both sides: the client refuses such a definition at {@code agents put}
 * ({@code AgentDefinitions}), and a worker refuses a model call that carries one anyway (a definition written by
 * another client) with an {@code ERROR} result, before any request leaves it.
 */
public final class ModelSpecRules {

    /** An endpoint name: what {@code model.endpoint} and the worker's endpoint list use. */
    public static final Pattern ENDPOINT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Option names (lower case, letters and digits only) that choose a destination. */
    private static final Set<String> DESTINATION_WORDS =
            Set.of("url", "uri", "endpoint", "host", "proxy", "apibase", "address", "server", "domain");

    /** Option names (lower case, letters and digits only) that carry a credential, or headers that may. */
    private static final Set<String> CREDENTIAL_WORDS = Set.of(
            "key",
            "token",
            "secret",
            "password",
            "passwd",
            "passphrase",
            "authorization",
            "credential",
            "bearer",
            "cookie",
            "header",
            "signature");

    private static final Set<String> CREDENTIAL_NAMES = Set.of("auth", "pwd", "pass");

    /** A URL, a network path, or a host with a port or path (possessive, so linear on any input). */
    private static final Pattern URL_VALUE = Pattern.compile("(?i)(?:[a-z][a-z0-9+.-]{0,31}:)?//\\S*+|www\\.\\S*+"
            + "|[a-z0-9-]++(?:\\.[a-z0-9-]++)++(?::[0-9]{1,5})?/\\S*+|[a-z0-9-]++(?:\\.[a-z0-9-]++)*+:[0-9]{1,5}/?");

    private ModelSpecRules() {}

    /** Every problem of this spec's endpoint and options (empty: fine), each a sentence naming the field. */
    public static List<String> problems(ModelSpec spec) {
        return problems(spec.getEndpoint(), spec.getOptions());
    }

    /**
     * Every problem of an endpoint name and model options (empty: fine). A message never repeats a value that looks
     * like a credential.
     */
    public static List<String> problems(String endpoint, Map<String, String> options) {
        List<String> problems = new ArrayList<>();
        if (endpoint != null
                && !endpoint.isEmpty()
                && !ENDPOINT_NAME.matcher(endpoint).matches()) {
            String shown =
                    Secrets.looksLikeSecret(endpoint) ? "(a value that looks like a credential)" : "'" + endpoint + "'";
            problems.add(
                    "model.endpoint " + shown + " is not an endpoint name (it must match " + ENDPOINT_NAME.pattern()
                            + "): name one of the model endpoints the worker defines (AGENTLOG_MODEL_ENDPOINTS), never a URL");
        }
        options.forEach(
                (name, value) -> optionProblem(name, value == null ? "" : value).ifPresent(problems::add));
        return problems;
    }

    private static Optional<String> optionProblem(String name, String value) {
        String field = "model.options." + name;
        String words = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (CREDENTIAL_NAMES.contains(words) || CREDENTIAL_WORDS.stream().anyMatch(words::contains)) {
            return Optional.of(field + " is refused: credentials (and headers, which could carry them)"
                    + " belong to the worker's model endpoints (an environment variable or a file on the worker),"
                    + " never to an agent definition");
        }
        if (DESTINATION_WORDS.stream().anyMatch(words::contains)) {
            return Optional.of(field + " is refused: where a model call goes is the worker's choice;"
                    + " set model.endpoint to the name of one of the worker's model endpoints"
                    + " (AGENTLOG_MODEL_ENDPOINTS) instead");
        }
        if (Secrets.looksLikeSecret(value)) {
            return Optional.of(field + " is refused: its value looks like a credential (an API key, a bearer"
                    + " token or a URL with a password); credentials belong to the worker's model endpoints");
        }
        if (value.contains("://") || URL_VALUE.matcher(value.strip()).matches()) {
            return Optional.of(field + " is refused: its value '" + value + "' looks like a URL or address;"
                    + " where a model call goes is the worker's choice: set model.endpoint to one of its endpoints");
        }
        return Optional.empty();
    }
}
