package io.agentlog.worker.model;

import io.agentlog.schemas.ModelSpecRules;
import io.agentlog.schemas.Secrets;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A model endpoint the worker owns: where calls of an agent whose definition names it go, and with which key. The
 * provider's default endpoint has the empty name; agent definitions choose an endpoint by name
 * ({@code model.endpoint}) and never see its URL or key.
 *
 * @param name the name definitions use; empty for the provider's default endpoint
 * @param provider the provider that serves it ({@value OpenAiModelProvider#NAME} or
 *     {@value AnthropicModelProvider#NAME}, which has no default endpoint)
 * @param baseUrl the URL requests go to, including e.g. {@code /v1}; http or https, no user information
 * @param apiKey sent as {@code Authorization: Bearer} ({@code x-api-key} to an anthropic endpoint); none for servers
 *     that need no key
 * @param stream whether answers are streamed ({@code stream: true}, the default), so watchers see them as they are
 *     written; off for a server that cannot stream
 */
public record ModelEndpoint(String name, String provider, URI baseUrl, Optional<Credential> apiKey, boolean stream) {

    /** The providers that have endpoints. */
    public static final Set<String> PROVIDERS = Set.of(OpenAiModelProvider.NAME, AnthropicModelProvider.NAME);

    /** Where the default {@code openai} endpoint goes unless {@code AGENTLOG_OPENAI_BASE_URL} says otherwise. */
    public static final String DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";

    public ModelEndpoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(apiKey, "apiKey");
        if (!name.isEmpty() && !ModelSpecRules.ENDPOINT_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("model endpoint name '" + name + "' is invalid: it must match "
                    + ModelSpecRules.ENDPOINT_NAME.pattern());
        }
        if (!PROVIDERS.contains(provider)) {
            throw new IllegalArgumentException(describe(name, provider) + ": provider '" + provider
                    + "' has no endpoints; use one of " + PROVIDERS);
        }
        if (provider.equals(AnthropicModelProvider.NAME) && apiKey.isEmpty()) {
            throw new IllegalArgumentException(describe(name, provider) + " has no API key, which an anthropic"
                    + " endpoint needs (x-api-key): give it apiKeyEnv or apiKeyFile");
        }
    }

    /** An endpoint that streams its answers. */
    public ModelEndpoint(String name, String provider, URI baseUrl, Optional<Credential> apiKey) {
        this(name, provider, baseUrl, apiKey, true);
    }

    /** The default endpoint of {@code provider}. */
    public static ModelEndpoint defaultOf(String provider, URI baseUrl, Optional<Credential> apiKey, boolean stream) {
        return new ModelEndpoint("", provider, baseUrl, apiKey, stream);
    }

    /** This endpoint, streaming its answers or not. */
    public ModelEndpoint withStream(boolean value) {
        return new ModelEndpoint(name, provider, baseUrl, apiKey, value);
    }

    /**
     * Parses a base URL: http or https, with a host, without user information (a key goes in the endpoint's
     * credential), query or fragment. {@code where} names the setting in the message, which never repeats a password.
     */
    public static URI baseUrl(String url, String where) {
        String shown = "'" + Secrets.redact(url) + "'";
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(
                    where + " must be an http or https URL, e.g. http://127.0.0.1:8000/v1, but was " + shown);
        }
        if (uri.getScheme() == null
                || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException(where
                    + " must be an http or https URL with a host, e.g. http://127.0.0.1:8000/v1, but was " + shown);
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(where + " must not carry user information (" + shown + "): give the"
                    + " endpoint's key as apiKeyEnv or apiKeyFile");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(where + " must not have a query or fragment, but was " + shown);
        }
        String text = uri.toString();
        return URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
    }

    /** How messages name it: {@code model endpoint 'local'} or {@code the default openai endpoint}. */
    public String describe() {
        return describe(name, provider);
    }

    private static String describe(String name, String provider) {
        return name.isEmpty() ? "the default " + provider + " endpoint" : "model endpoint '" + name + "'";
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return (name.isEmpty() ? "(default)" : name) + "=" + provider + " " + baseUrl
                + apiKey.map(key -> " " + key).orElse(" (no key)") + (stream ? "" : " (not streaming)");
    }
}
