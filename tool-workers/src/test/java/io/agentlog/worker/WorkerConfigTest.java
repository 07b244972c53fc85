package io.agentlog.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.worker.sandbox.SandboxLimits;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

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
        assertThat(config.openAiBaseUrl()).isEmpty();
        assertThat(config.maxConcurrency()).isEqualTo(64);
        assertThat(config.consumersPerPool()).isEqualTo(16);
        assertThat(config.batchSize()).isEqualTo(4);
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
                Map.entry("AGENTLOG_MAX_CONCURRENCY", "10"),
                Map.entry("AGENTLOG_CONSUMERS_PER_POOL", "4"),
                Map.entry("AGENTLOG_MAX_DELIVERIES", "3"),
                Map.entry("AGENTLOG_RETRY_BACKOFF_MS", "250"),
                Map.entry("AGENTLOG_MODEL_TIMEOUT_MS", "1000"),
                Map.entry("AGENTLOG_SHUTDOWN_GRACE_MS", "0"));

        // When
        WorkerConfig config = WorkerConfig.fromEnv(env);

        // Then
        assertThat(config.bootstrapServers()).isEqualTo("broker:9093");
        assertThat(config.pools()).containsExactly("model", "gpu-model");
        assertThat(config.workerId()).isEqualTo("w-1");
        assertThat(config.httpAllowList()).isEqualTo(Set.of("example.org", "127.0.0.1:8080"));
        assertThat(config.openAiBaseUrl()).contains("http://127.0.0.1:8000/v1");
        assertThat(config.openAiApiKey()).contains("sk-fallback");
        assertThat(config.maxConcurrency()).isEqualTo(10);
        assertThat(config.consumersPerPool()).isEqualTo(4);
        assertThat(config.batchSize()).isEqualTo(3);
        assertThat(config.maxDeliveries()).isEqualTo(3);
        assertThat(config.retryBackoff()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.modelTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.shutdownGrace()).isZero();
    }

    @Test
    void shouldUseOneConsumerPerItemWhenConcurrencyIsBelowTheDefaultConsumerCount() {
        WorkerConfig config = WorkerConfig.fromEnv(Map.of("AGENTLOG_MAX_CONCURRENCY", "3"));

        assertThat(config.consumersPerPool()).isEqualTo(3);
        assertThat(config.batchSize()).isEqualTo(1);
    }

    @Test
    void shouldPreferAgentlogApiKeyAndNeverPrintItWhenBothAreSet() {
        // When
        WorkerConfig config =
                WorkerConfig.fromEnv(Map.of("AGENTLOG_OPENAI_API_KEY", "sk-secret-1", "OPENAI_API_KEY", "sk-secret-2"));

        // Then
        assertThat(config.openAiApiKey()).isEqualTo(Optional.of("sk-secret-1"));
        assertThat(config.toString()).doesNotContain("sk-secret").contains("openAiApiKey=(set)");
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
}
