package io.agentlog.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TracingConfigTest {

    @Test
    void shouldBeOffWhenNoEndpointIsSet() {
        TracingConfig config = TracingConfig.fromEnv(Map.of("OTEL_SERVICE_NAME", "x"), "agentlog-engine");

        assertThat(config.enabled()).isFalse();
        assertThat(Tracing.start(config)).isSameAs(Tracing.OFF);
    }

    @Test
    void shouldAppendTheTracesPathToTheBaseEndpointWhenOnlyTheBaseIsSet() {
        TracingConfig config = TracingConfig.fromEnv(
                Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/", "OTEL_BSP_SCHEDULE_DELAY", "200"),
                "agentlog-engine");

        assertThat(config.endpoint()).contains(URI.create("http://collector:4318/v1/traces"));
        assertThat(config.serviceName()).isEqualTo("agentlog-engine");
        assertThat(config.exportDelay()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void shouldTakeTheTracesEndpointAsGivenAndHeadersWhenSet() {
        TracingConfig config = TracingConfig.fromEnv(
                Map.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:4318",
                        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://collector.example/otlp/traces",
                        "OTEL_SERVICE_NAME", "engine-eu-1",
                        "OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc%3D%3D, team=ai"),
                "agentlog-engine");

        assertThat(config.endpoint()).contains(URI.create("https://collector.example/otlp/traces"));
        assertThat(config.serviceName()).isEqualTo("engine-eu-1");
        assertThat(config.headers()).isEqualTo(Map.of("api-key", "abc==", "team", "ai"));
        assertThat(config.toString()).doesNotContain("abc");
    }

    @Test
    void shouldBeOffWhenTheExporterIsNoneOrTheSdkDisabled() {
        assertThat(TracingConfig.fromEnv(
                                Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_TRACES_EXPORTER", "none"),
                                "e")
                        .enabled())
                .isFalse();
        assertThat(TracingConfig.fromEnv(
                                Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_SDK_DISABLED", "true"),
                                "e")
                        .enabled())
                .isFalse();
    }

    @Test
    void shouldRefuseWithTheBadValueWhenASettingIsMalformed() {
        assertThatThrownBy(() -> TracingConfig.fromEnv(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"), "e"))
                .hasMessageContaining("'collector:4318'");
        assertThatThrownBy(() -> TracingConfig.fromEnv(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                        "e"))
                .hasMessageContaining("'grpc'");
        assertThatThrownBy(() -> TracingConfig.fromEnv(Map.of("OTEL_TRACES_EXPORTER", "zipkin"), "e"))
                .hasMessageContaining("'zipkin'");
        assertThatThrownBy(() -> TracingConfig.fromEnv(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_BSP_SCHEDULE_DELAY", "soon"), "e"))
                .hasMessageContaining("'soon'");
        assertThatThrownBy(() -> TracingConfig.fromEnv(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS", "secret"),
                        "e"))
                .hasMessageContaining("OTEL_EXPORTER_OTLP_HEADERS")
                .hasMessageNotContaining("secret");
    }
}
