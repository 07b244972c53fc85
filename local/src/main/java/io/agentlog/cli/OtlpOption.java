package io.agentlog.cli;

import io.agentlog.telemetry.TracingConfig;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --otlp-endpoint}: where the engine and workers export their OpenTelemetry traces; sets
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} for them. Unset, the standard {@code OTEL_*} variables decide (no endpoint: no
 * tracing).
 */
public final class OtlpOption {

    @Option(
            names = "--otlp-endpoint",
            paramLabel = "URL",
            description = "Export OpenTelemetry traces over OTLP/HTTP to this collector's base URL, e.g."
                    + " http://127.0.0.1:4318 (spans go to /v1/traces under it). Default: $OTEL_EXPORTER_OTLP_ENDPOINT"
                    + " and the other OTEL_* variables, else no tracing. See docs/observability.md.")
    String endpoint;

    /** The variables this option sets (none when it is not given); a malformed URL is refused, quoted. */
    public Map<String, String> env() {
        if (endpoint == null) {
            return Map.of();
        }
        Map<String, String> env = Map.of(TracingConfig.ENDPOINT_ENV, endpoint);
        TracingConfig.fromEnv(env, "agentlog");
        return env;
    }
}
