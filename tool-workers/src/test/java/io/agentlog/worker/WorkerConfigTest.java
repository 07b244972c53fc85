package io.agentlog.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.worker.model.ModelEndpoint;
import io.agentlog.worker.sandbox.SandboxLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerConfigTest {

    @Test
    void shouldUseDefaultsWhenEnvironmentIsEmpty() {
        // When
        WorkerConfig config = WorkerConfig.fromEnv(Map.of());

        // Then
        assertThat(config.bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(config.pools()).containsExactly("model", "tools", "sandbox");
        assertThat(config.workerId()).endsWith("-" + ProcessHandle.current().pid());
        assertThat(config.httpAllowList()).isEmpty();
        assertThat(config.defaultOpenAi().baseUrl()).hasToString("https://api.openai.com/v1");
        assertThat(config.defaultOpenAi().apiKey()).isEmpty();
        assertThat(config.defaultOpenAi().stream()).isTrue();
        assertThat(config.modelEndpoints().names("openai")).isEmpty();
        assertThat(config.modelMaxRetryWait()).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.maxConcurrency()).isEqualTo(512);
        assertThat(config.consumersPerPool()).isEqualTo(16);
        assertThat(config.batchSize()).isEqualTo(32);
        assertThat(config.maxDeliveries()).isEqualTo(5);
        assertThat(config.sandboxLimits()).isEqualTo(SandboxLimits.defaults());
    }

    @Test
    void shouldReadSandboxLimitsWhenSet() {
        // Given
        Map<String, String> env = Map.of(
                "AGENTLOG_SANDBOX_CPU_SECONDS", "5",
                "AGENTLOG_SANDBOX_MEMORY_MIB", "512",
                "AGENTLOG_SANDBOX_PROCESSES", "16",
                "AGENTLOG_SANDBOX_FILE_SIZE_MIB", "2",
                "AGENTLOG_SANDBOX_OPEN_FILES", "64",
                "AGENTLOG_SANDBOX_WALL_CLOCK_SECONDS", "7",
                "AGENTLOG_SANDBOX_OUTPUT_KIB", "8",
                "AGENTLOG_SANDBOX_WORKSPACE_MIB", "32",
                "AGENTLOG_SANDBOX_STATEMENT_LIMIT", "1000",
                "AGENTLOG_SANDBOX_JS_HEAP_MIB", "128");

        // When
        SandboxLimits limits = WorkerConfig.fromEnv(env).sandboxLimits();

        // Then
        assertThat(limits).isEqualTo(new SandboxLimits(5, 512, 16, 2, 64, 7, 8, 32, 1000, 128));
    }

    @Test
    void shouldRejectSandboxLimitsThatAreOutOfRangeOrNotNumbers() {
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_SANDBOX_CPU_SECONDS", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("AGENTLOG_SANDBOX_CPU_SECONDS must be between 1 and 3600, but was 0");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_SANDBOX_MEMORY_MIB", "lots")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("AGENTLOG_SANDBOX_MEMORY_MIB must be a whole number, but was 'lots'");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_SANDBOX_JS_HEAP_MIB", "8")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("AGENTLOG_SANDBOX_JS_HEAP_MIB must be between 64 and 65536, but was 8");
    }

    @Test
    void shouldReadEveryVariableWhenSet() {
        // Given
        Map<String, String> env = Map.ofEntries(
                Map.entry("AGENTLOG_BOOTSTRAP_SERVERS", "broker:9093"),
                Map.entry("AGENTLOG_POOLS", " model , gpu-model,model "),
                Map.entry("AGENTLOG_WORKER_ID", "w-1"),
                Map.entry("AGENTLOG_HTTP_ALLOW", "Example.org, 127.0.0.1:8080"),
                Map.entry("AGENTLOG_OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
                Map.entry("OPENAI_API_KEY", "sk-fallback"),
                Map.entry("AGENTLOG_OPENAI_STREAM", "False"),
                Map.entry("AGENTLOG_MAX_CONCURRENCY", "10"),
                Map.entry("AGENTLOG_CONSUMERS_PER_POOL", "4"),
                Map.entry("AGENTLOG_MAX_DELIVERIES", "3"),
                Map.entry("AGENTLOG_RETRY_BACKOFF_MS", "250"),
                Map.entry("AGENTLOG_MODEL_TIMEOUT_MS", "1000"),
                Map.entry("AGENTLOG_MODEL_MAX_RETRY_WAIT_MS", "60000"),
                Map.entry("AGENTLOG_SHUTDOWN_GRACE_MS", "0"));

        // When
        WorkerConfig config = WorkerConfig.fromEnv(env);

        // Then
        assertThat(config.bootstrapServers()).isEqualTo("broker:9093");
        assertThat(config.pools()).containsExactly("model", "gpu-model");
        assertThat(config.workerId()).isEqualTo("w-1");
        assertThat(config.httpAllowList()).isEqualTo(Set.of("example.org", "127.0.0.1:8080"));
        assertThat(config.defaultOpenAi().baseUrl()).hasToString("http://127.0.0.1:8000/v1");
        assertThat(config.defaultOpenAi().apiKey().orElseThrow().value()).isEqualTo("sk-fallback");
        assertThat(config.defaultOpenAi().stream()).isFalse();
        assertThat(config.maxConcurrency()).isEqualTo(10);
        assertThat(config.consumersPerPool()).isEqualTo(4);
        assertThat(config.batchSize()).isEqualTo(3);
        assertThat(config.maxDeliveries()).isEqualTo(3);
        assertThat(config.retryBackoff()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.modelTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.modelMaxRetryWait()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.shutdownGrace()).isZero();
    }

    @Test
    void shouldUseOneConsumerPerItemWhenConcurrencyIsBelowTheDefaultConsumerCount() {
        WorkerConfig config = WorkerConfig.fromEnv(Map.of("AGENTLOG_MAX_CONCURRENCY", "3"));

        assertThat(config.consumersPerPool()).isEqualTo(3);
        assertThat(config.batchSize()).isEqualTo(1);
    }

    @Test
    void shouldRunFewerSandboxesAtOnceThanModelCallsWithAConsumerEach() {
        // Given the sandbox pool limited to 4 runs at once, and a default whose bound the machine sets
        WorkerConfig limited = WorkerConfig.fromEnv(Map.of(WorkerConfig.SANDBOX_CONCURRENCY, "4"));
        WorkerConfig defaults = WorkerConfig.fromEnv(Map.of());

        // Then the sandbox pool gets 4 consumers of 1 item each, the model pool keeps 16 of 32
        assertThat(limited.concurrency("sandbox")).isEqualTo(4);
        assertThat(limited.consumers("sandbox")).isEqualTo(4);
        assertThat(limited.batchSize("sandbox")).isEqualTo(1);
        assertThat(limited.consumers("model")).isEqualTo(16);
        assertThat(limited.batchSize("model")).isEqualTo(32);
        assertThat(defaults.concurrency("sandbox"))
                .isBetween(1, 2 * Runtime.getRuntime().availableProcessors())
                .isLessThanOrEqualTo(defaults.maxConcurrency());
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of(WorkerConfig.SANDBOX_CONCURRENCY, "0")))
                .hasMessageContaining("AGENTLOG_SANDBOX_CONCURRENCY");
    }

    @Test
    void shouldPreferAgentlogApiKeyAndNeverPrintItWhenBothAreSet() {
        // When
        WorkerConfig config =
                WorkerConfig.fromEnv(Map.of("AGENTLOG_OPENAI_API_KEY", "sk-secret-1", "OPENAI_API_KEY", "sk-secret-2"));

        // Then
        assertThat(config.defaultOpenAi().apiKey().orElseThrow().value()).isEqualTo("sk-secret-1");
        assertThat(config.toString())
                .doesNotContain("sk-secret")
                .contains("(key from environment variable AGENTLOG_OPENAI_API_KEY)");
    }

    @Test
    void shouldQuoteBadValueWhenANumberIsInvalid() {
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_MAX_CONCURRENCY", "lots")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AGENTLOG_MAX_CONCURRENCY")
                .hasMessageContaining("'lots'");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_MAX_CONCURRENCY", "0")))
                .hasMessage("AGENTLOG_MAX_CONCURRENCY must be at least 1, but was 0");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(
                        Map.of("AGENTLOG_MAX_CONCURRENCY", "4", "AGENTLOG_CONSUMERS_PER_POOL", "5")))
                .hasMessage("AGENTLOG_CONSUMERS_PER_POOL must not exceed AGENTLOG_MAX_CONCURRENCY (4), but was 5");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_RETRY_BACKOFF_MS", "-5")))
                .hasMessage("AGENTLOG_RETRY_BACKOFF_MS must not be negative, but was -5 ms");
    }

    @Test
    void shouldServeMetricsOnlyWhenAPortIsSetAndQuoteABadPort() {
        assertThat(WorkerConfig.fromEnv(Map.of()).metrics()).isEqualTo(WorkerMetricsConfig.OFF);
        assertThat(WorkerConfig.fromEnv(Map.of("AGENTLOG_WORKER_METRICS_PORT", "OFF"))
                        .metrics()
                        .enabled())
                .isFalse();
        WorkerMetricsConfig on = WorkerConfig.fromEnv(
                        Map.of("AGENTLOG_WORKER_METRICS_PORT", "9464", "AGENTLOG_WORKER_METRICS_HOST", "0.0.0.0"))
                .metrics();
        assertThat(on.port()).hasValue(9464);
        assertThat(on.host()).isEqualTo("0.0.0.0");
        assertThat(WorkerConfig.fromEnv(Map.of("AGENTLOG_WORKER_METRICS_PORT", "9464"))
                        .metrics()
                        .host())
                .isEqualTo("127.0.0.1");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_WORKER_METRICS_PORT", "70000")))
                .hasMessage("AGENTLOG_WORKER_METRICS_PORT must be a port (0-65535) or 'off', but was '70000'");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_WORKER_METRICS_PORT", "on")))
                .hasMessage("AGENTLOG_WORKER_METRICS_PORT must be a port (0-65535) or 'off', but was 'on'");
    }

    @Test
    void shouldQuoteBadValueWhenPoolOrAllowEntryOrUrlIsInvalid() {
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_POOLS", "tools,Bad Pool")))
                .hasMessageContaining("AGENTLOG_POOLS")
                .hasMessageContaining("'Bad Pool'");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_POOLS", "engine")))
                .hasMessageContaining("'engine'");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_HTTP_ALLOW", "http://example.org/")))
                .hasMessageContaining("AGENTLOG_HTTP_ALLOW")
                .hasMessageContaining("'http://example.org/'");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_HTTP_ALLOW", "example.org:99999")))
                .hasMessageContaining("99999");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_OPENAI_BASE_URL", "ftp://x/v1")))
                .hasMessageContaining("AGENTLOG_OPENAI_BASE_URL")
                .hasMessageContaining("'ftp://x/v1'");
    }

    @Test
    void shouldRejectEmptyPoolListWhenPoolsAreOnlyCommas() {
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_POOLS", " , ,")))
                .hasMessageContaining("AGENTLOG_POOLS must name at least one pool");
    }

    @Test
    void shouldReadNamedEndpointsWithKeysFromTheEnvironmentOrAFileWhenTheyAreListed(@TempDir Path dir)
            throws Exception {
        // Given two endpoints: one keyed by an environment variable, one by a file; and the same list in a file
        Path keyFile = dir.resolve("team.key");
        Files.writeString(keyFile, "k-team\n");
        String list = """
                {"local": {"baseUrl": "http://127.0.0.1:8000/v1/", "apiKeyEnv": "LOCAL_LLM_KEY"},
                 "team": {"provider": "openai", "baseUrl": "https://llm.team.example/v1", "apiKeyFile": "%s"},
                 "open": {"baseUrl": "http://10.0.0.7:8080/v1", "stream": false}}""".formatted(keyFile);
        Path listFile = dir.resolve("endpoints.json");
        Files.writeString(listFile, list);

        // When
        WorkerConfig inline =
                WorkerConfig.fromEnv(Map.of("AGENTLOG_MODEL_ENDPOINTS", list, "LOCAL_LLM_KEY", "k-local"));
        WorkerConfig fromFile = WorkerConfig.fromEnv(
                Map.of("AGENTLOG_MODEL_ENDPOINTS_FILE", listFile.toString(), "LOCAL_LLM_KEY", "k-local"));

        // Then
        for (WorkerConfig config : List.of(inline, fromFile)) {
            assertThat(config.modelEndpoints().names("openai")).containsExactly("local", "open", "team");
            ModelEndpoint local =
                    config.modelEndpoints().find("openai", "local").orElseThrow();
            assertThat(local.baseUrl()).hasToString("http://127.0.0.1:8000/v1");
            assertThat(local.apiKey().orElseThrow().value()).isEqualTo("k-local");
            assertThat(local.stream()).as("streams unless told not to").isTrue();
            assertThat(config.modelEndpoints().find("openai", "open").orElseThrow().stream())
                    .isFalse();
            assertThat(config.modelEndpoints()
                            .find("openai", "team")
                            .orElseThrow()
                            .apiKey()
                            .orElseThrow()
                            .value())
                    .isEqualTo("k-team");
            assertThat(config.modelEndpoints()
                            .find("openai", "open")
                            .orElseThrow()
                            .apiKey())
                    .isEmpty();
            assertThat(config.toString()).doesNotContain("k-local").doesNotContain("k-team");
        }
    }

    @Test
    void shouldRefuseAnEndpointListThatCarriesAKeyOrIsIncompleteWithAClearMessage(@TempDir Path dir) {
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of(
                        "AGENTLOG_MODEL_ENDPOINTS",
                        "{\"x\": {\"baseUrl\": \"http://h/v1\", \"apiKey\": \"sk-inline\"}}")))
                .hasMessage("AGENTLOG_MODEL_ENDPOINTS: endpoint 'x' has its key inline ('apiKey'): put the key in an"
                        + " environment variable (apiKeyEnv) or a file (apiKeyFile) instead");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of(
                        "AGENTLOG_MODEL_ENDPOINTS",
                        "{\"x\": {\"baseUrl\": \"http://h/v1\", \"apiKeyEnv\": \"NOPE\"}}")))
                .hasMessage("model endpoint 'x' takes its API key from environment variable NOPE, which is not set");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(
                        Map.of("AGENTLOG_MODEL_ENDPOINTS", "{\"x\": {\"baseUrl\": \"https://u:pw@h/v1\"}}")))
                .hasMessageContaining("must not carry user information")
                .hasMessageNotContaining("pw@");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_MODEL_ENDPOINTS", "{\"x\": {}}")))
                .hasMessage("AGENTLOG_MODEL_ENDPOINTS: endpoint 'x' needs a baseUrl, e.g. http://127.0.0.1:8000/v1");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of(
                        "AGENTLOG_MODEL_ENDPOINTS", "{\"x\": {\"baseUrl\": \"http://h/v1\", \"stream\": \"no\"}}")))
                .hasMessage("AGENTLOG_MODEL_ENDPOINTS: endpoint 'x': stream must be true or false, but was \"no\"");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_OPENAI_STREAM", "yes")))
                .hasMessage("AGENTLOG_OPENAI_STREAM must be true or false, but was 'yes'");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_MODEL_ENDPOINTS", "[1]")))
                .hasMessageStartingWith("AGENTLOG_MODEL_ENDPOINTS must be a JSON object of endpoint name to endpoint");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(
                        Map.of("AGENTLOG_MODEL_ENDPOINTS", "{\"http://h/v1\": {\"baseUrl\": \"http://h/v1\"}}")))
                .hasMessageContaining("model endpoint name 'http://h/v1' is invalid");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of(
                        "AGENTLOG_MODEL_ENDPOINTS_FILE",
                        dir.resolve("missing.json").toString())))
                .hasMessageStartingWith("AGENTLOG_MODEL_ENDPOINTS_FILE names '")
                .hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of("AGENTLOG_MODEL_MAX_RETRY_WAIT_MS", "-1")))
                .hasMessage("AGENTLOG_MODEL_MAX_RETRY_WAIT_MS must not be negative, but was -1 ms");
    }
}
