package io.agentlog.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EngineConfigTest {

    @Test
    void shouldReadTheEnvironmentWithLowLatencyDefaults() {
        EngineConfig config = EngineConfig.fromEnv(Map.of(
                "AGENTLOG_BOOTSTRAP_SERVERS",
                " broker:9092 ",
                "AGENTLOG_STANDBY_REPLICAS",
                "1",
                "AGENTLOG_POLL_MS",
                ""));

        assertThat(config.bootstrapServers()).isEqualTo("broker:9092");
        assertThat(config.standbyReplicas()).isEqualTo(1);
        assertThat(config.pollTime()).isEqualTo(Duration.ofMillis(100));
        assertThat(config.commitInterval()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void shouldQuoteABadValue() {
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_POLL_MS", "fast")))
                .hasMessage("AGENTLOG_POLL_MS must be a whole number, but was 'fast'");
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_STREAM_THREADS", "0")))
                .hasMessage("invalid engine config: stream threads must be >= 1, but was 0");
    }

    @Test
    void shouldRefuseLimitsThatCouldNotFitARecord() {
        // a workspace copy travels in one work record of 20 MiB
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_MAX_WORKSPACE_BYTES", "67108864")))
                .hasMessageContaining("max workspace bytes must be <= 19922944")
                .hasMessageContaining("but was 67108864");
        // a final answer of 8 times the content cap must fit one record
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_MAX_CONTENT_CHARS", "1000000")))
                .hasMessageContaining("max content chars must be <= 622592");
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_INLINE_FILE_BYTES", "2000000")))
                .hasMessageContaining("inline file bytes must be between 0 and max file bytes");
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_MAX_WORK_DELAY_MS", "60000")))
                .hasMessageContaining("max work delay must be >= the model timeout");
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_RETENTION_MS", "0")))
                .hasMessageContaining("retention must be >= 1000 ms");
    }

    @Test
    void shouldKeepEndedSessionsAWeekAndWaitLongerForAModelThanAWorkerDoes() {
        EngineConfig config = EngineConfig.fromEnv(Map.of());

        assertThat(config.retention()).isEqualTo(Duration.ofDays(7));
        assertThat(config.modelTimeout()).isGreaterThan(Duration.ofMinutes(5));
        assertThat(config.maxWorkDelay()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.replicationFactor()).isEqualTo(-1);
    }
}
