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
        assertThat(config.pollTime()).isEqualTo(Duration.ofMillis(5));
        assertThat(config.commitInterval()).isZero();
    }

    @Test
    void shouldQuoteABadValue() {
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_POLL_MS", "fast")))
                .hasMessage("AGENTLOG_POLL_MS must be a whole number, but was 'fast'");
        assertThatThrownBy(() -> EngineConfig.fromEnv(Map.of("AGENTLOG_STREAM_THREADS", "0")))
                .hasMessage("invalid engine config: stream threads must be >= 1, but was 0");
    }
}
