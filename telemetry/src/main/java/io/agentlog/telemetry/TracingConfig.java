package io.agentlog.telemetry;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether and where a process exports its OpenTelemetry traces (see docs/observability.md), read from the standard
 * {@code OTEL_*} environment variables and validated at start. Off unless an OTLP endpoint is set: then the process
 * uses OpenTelemetry's no-op tracer and writes no trace headers.
 *
 * <p>Only OTLP over HTTP/protobuf is supported ({@code OTEL_EXPORTER_OTLP_PROTOCOL} {@code http/protobuf}, the
 * default); {@code grpc} is refused at start rather than silently sending nothing.
 *
 * @param endpoint the full URL spans are posted to ({@value #TRACES_ENDPOINT_ENV} as given, or
 *     {@value #ENDPOINT_ENV} with {@code /v1/traces} appended); empty = tracing off
 * @param serviceName the {@code service.name} of the process's spans ({@value #SERVICE_NAME_ENV}, else the
 *     process's default: {@code agentlog-engine}, {@code agentlog-worker})
 * @param headers HTTP headers sent with every export, e.g. a collector's API key ({@value #HEADERS_ENV} and
 *     {@value #TRACES_HEADERS_ENV}: {@code key=value,key2=value2}, values URL-encoded)
 * @param exportDelay how long finished spans wait to be exported in a batch ({@value #EXPORT_DELAY_ENV}, in ms,
 *     default 5000 as in the SDK)
 */
public record TracingConfig(
        Optional<URI> endpoint, String serviceName, Map<String, String> headers, Duration exportDelay) {

    public static final String ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public static final String TRACES_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public static final String SERVICE_NAME_ENV = "OTEL_SERVICE_NAME";
    public static final String TRACES_EXPORTER_ENV = "OTEL_TRACES_EXPORTER";
    public static final String SDK_DISABLED_ENV = "OTEL_SDK_DISABLED";
    public static final String PROTOCOL_ENV = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public static final String TRACES_PROTOCOL_ENV = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
    public static final String HEADERS_ENV = "OTEL_EXPORTER_OTLP_HEADERS";
    public static final String TRACES_HEADERS_ENV = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
    public static final String EXPORT_DELAY_ENV = "OTEL_BSP_SCHEDULE_DELAY";

    public static final Duration DEFAULT_EXPORT_DELAY = Duration.ofSeconds(5);

    /** The path the OTLP/HTTP specification appends to {@value #ENDPOINT_ENV} for traces. */
    static final String TRACES_PATH = "v1/traces";

    public TracingConfig {
        Objects.requireNonNull(endpoint, "endpoint");
        headers = Map.copyOf(headers);
        if (serviceName == null || serviceName.isBlank()) {
            throw new IllegalArgumentException("invalid tracing config: " + SERVICE_NAME_ENV
                    + " must not be blank, but was '" + serviceName + "'");
        }
        endpoint.ifPresent(TracingConfig::requireHttp);
        if (exportDelay.isNegative() || exportDelay.isZero()) {
            throw invalid(EXPORT_DELAY_ENV + " must be > 0 ms, but was " + exportDelay.toMillis());
        }
    }

    /** No tracing: the no-op tracer. */
    public static TracingConfig off(String serviceName) {
        return new TracingConfig(Optional.empty(), serviceName, Map.of(), DEFAULT_EXPORT_DELAY);
    }

    /** Spans to the OTLP/HTTP endpoint {@code tracesEndpoint} (the full URL, e.g. {@code http://host:4318/v1/traces}). */
    public static TracingConfig otlp(URI tracesEndpoint, String serviceName) {
        return new TracingConfig(Optional.of(tracesEndpoint), serviceName, Map.of(), DEFAULT_EXPORT_DELAY);
    }

    /**
     * The configuration from the standard variables; a malformed one fails with a message that quotes it.
     *
     * @param defaultServiceName the service name when {@value #SERVICE_NAME_ENV} is not set
     */
    public static TracingConfig fromEnv(Map<String, String> env, String defaultServiceName) {
        String serviceName = value(env, SERVICE_NAME_ENV).orElse(defaultServiceName);
        boolean disabled = value(env, SDK_DISABLED_ENV)
                .map(v -> v.toLowerCase(Locale.ROOT))
                .map(v -> switch (v) {
                    case "true" -> true;
                    case "false" -> false;
                    default -> throw invalid(SDK_DISABLED_ENV + " must be true or false, but was '" + v + "'");
                })
                .orElse(false);
        String exporter = value(env, TRACES_EXPORTER_ENV).orElse("otlp").toLowerCase(Locale.ROOT);
        if (!exporter.equals("otlp") && !exporter.equals("none")) {
            throw invalid(TRACES_EXPORTER_ENV + " must be 'otlp' or 'none' (this build exports OTLP only), but was '"
                    + exporter + "'");
        }
        String protocol = value(env, TRACES_PROTOCOL_ENV)
                .or(() -> value(env, PROTOCOL_ENV))
                .orElse("http/protobuf");
        Optional<URI> endpoint = value(env, TRACES_ENDPOINT_ENV)
                .map(url -> uri(TRACES_ENDPOINT_ENV, url))
                .or(() -> value(env, ENDPOINT_ENV).map(url -> tracesUnder(uri(ENDPOINT_ENV, url))));
        if (disabled || exporter.equals("none") || endpoint.isEmpty()) {
            return off(serviceName);
        }
        if (!protocol.equals("http/protobuf")) {
            throw invalid("the OTLP protocol must be 'http/protobuf' (this build has no gRPC exporter), but was '"
                    + protocol + "' (" + TRACES_PROTOCOL_ENV + ", " + PROTOCOL_ENV + ")");
        }
        Map<String, String> headers = new LinkedHashMap<>(headers(env, HEADERS_ENV));
        headers.putAll(headers(env, TRACES_HEADERS_ENV));
        return new TracingConfig(endpoint, serviceName, headers, Duration.ofMillis(millis(env, EXPORT_DELAY_ENV)));
    }

    public boolean enabled() {
        return endpoint.isPresent();
    }

    public TracingConfig withServiceName(String name) {
        return new TracingConfig(endpoint, name, headers, exportDelay);
    }

    /** The same, exporting finished spans after {@code delay} (tests). */
    public TracingConfig withExportDelay(Duration delay) {
        return new TracingConfig(endpoint, serviceName, headers, delay);
    }

    private static long millis(Map<String, String> env, String variable) {
        String text = value(env, variable).orElse(String.valueOf(DEFAULT_EXPORT_DELAY.toMillis()));
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw invalid(variable + " must be a number of milliseconds, but was '" + text + "'");
        }
    }

    private static Optional<String> value(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
    }

    private static URI uri(String variable, String url) {
        try {
            URI uri = new URI(url);
            requireHttp(uri);
            return uri;
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw invalid(variable + " must be an http:// or https:// URL, but was '" + url + "'");
        }
    }

    private static void requireHttp(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw invalid("the OTLP endpoint must be an http:// or https:// URL with a host, but was '" + uri + "'");
        }
    }

    /** {@value #ENDPOINT_ENV} is a base URL: traces go to {@code v1/traces} under it, as the OTLP spec says. */
    private static URI tracesUnder(URI base) {
        String text = base.toString();
        return URI.create(text.endsWith("/") ? text + TRACES_PATH : text + "/" + TRACES_PATH);
    }

    private static Map<String, String> headers(Map<String, String> env, String variable) {
        Map<String, String> headers = new LinkedHashMap<>();
        value(env, variable).ifPresent(list -> {
            for (String pair : list.split(",")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? "" : pair.substring(0, eq).strip();
                if (key.isEmpty()) {
                    // never quote the value: it usually holds a credential
                    throw invalid(variable + " must be key=value pairs separated by commas, but an entry has no key"
                            + " or no '='");
                }
                headers.put(key, URLDecoder.decode(pair.substring(eq + 1).strip(), StandardCharsets.UTF_8));
            }
        });
        return headers;
    }

    private static IllegalArgumentException invalid(String message) {
        return new IllegalArgumentException("invalid tracing config: " + message);
    }

    /** Never shows header values: they usually carry a credential. */
    @Override
    public String toString() {
        return endpoint.map(
                        uri -> uri + " as " + serviceName + (headers.isEmpty() ? "" : ", headers " + headers.keySet()))
                .orElse("off");
    }
}
