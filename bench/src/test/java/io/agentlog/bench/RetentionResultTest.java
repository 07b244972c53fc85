package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetentionResultTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static RetentionResult result(
            RetentionResult.Phases stateDir, Double returnedAfter, Double deletedAfter, Double perSessionStateDir) {
        RetentionResult.Snapshot empty = new RetentionResult.Snapshot(0, 0L, 0L, 0L, 0L);
        return new RetentionResult(
                "retention",
                10_000,
                200,
                1024,
                600_000,
                "agentlog-engine",
                9_999,
                1,
                0,
                128.4567,
                77.8912,
                true,
                List.of(new RetentionResult.TopicReport(
                        "agentlog-engine-history-changelog",
                        empty,
                        new RetentionResult.Snapshot(5_000_000, 60_000L, 0L, 50_000L, 4_000_000L),
                        new RetentionResult.Snapshot(90_000, 200L, 100L, 100L, 30_000L))),
                List.of(new RetentionResult.TopicReport(
                        "agentlog.events",
                        RetentionResult.Snapshot.bytesOnly(1),
                        RetentionResult.Snapshot.bytesOnly(2),
                        RetentionResult.Snapshot.bytesOnly(3))),
                new RetentionResult.Phases(10, 5_000_010, 90_010),
                stateDir,
                new RetentionResult.PerSession(3998.123, 2662.456, 8.0, 4980.749, perSessionStateDir),
                10_000,
                deletedAfter,
                new RetentionResult.Resubmission(20, 20, 20),
                returnedAfter != null,
                returnedAfter,
                returnedAfter == null ? null : returnedAfter - 600,
                700.0049,
                Map.of("segment.ms", "10000", "delete.retention.ms", "1000"),
                List.of("bench-1 FAILED: boom"),
                new BenchResult.Machine(2, "25+36", "Linux 6.1 amd64"),
                "2026-11-29T10:00:00Z");
    }

    @Test
    void shouldRenderOneJsonObjectWithEveryNumberWhenComplete() throws Exception {
        // Given
        RetentionResult result = result(new RetentionResult.Phases(100, 2_000, 1_500), 655.5555, 612.3456, 0.19);

        // When
        String text = result.toJson();

        // Then
        assertThat(text)
                .doesNotContain("\n")
                .startsWith("{\"benchmark\":\"retention\",\"sessions\":10000,\"concurrency\":200,\"fileBytes\":1024,"
                        + "\"retentionMs\":600000,\"applicationId\":\"agentlog-engine\",");
        JsonNode json = JSON.readTree(text);
        assertThat(json.get("wallSeconds").asDouble()).isEqualTo(128.46);
        assertThat(json.get("sessionsPerSecond").asDouble()).isEqualTo(77.89);
        assertThat(json.get("allLiveWhenMeasured").asBoolean()).isTrue();
        assertThat(json.at("/topics/0/topic").asText()).isEqualTo("agentlog-engine-history-changelog");
        assertThat(json.at("/topics/0/before/liveKeys").asLong()).isEqualTo(50_000);
        assertThat(json.at("/topics/0/after/tombstones").asLong()).isEqualTo(100);
        assertThat(json.at("/journal/0/before").toString()).isEqualTo("{\"bytes\":2}");
        assertThat(json.at("/totalBytes").toString()).isEqualTo("{\"baseline\":10,\"before\":5000010,\"after\":90010}");
        assertThat(json.at("/stateDirBytes/after").asLong()).isEqualTo(1_500);
        assertThat(json.at("/perSession").toString())
                .isEqualTo("{\"diskBytes\":3998.12,\"liveBytes\":2662.46,\"liveKeys\":8.0,\"journalBytes\":4980.75,"
                        + "\"stateDirBytes\":0.19}");
        assertThat(json.get("deletedSessions").asInt()).isEqualTo(10_000);
        assertThat(json.get("deletedAfterSeconds").asDouble()).isEqualTo(612.35);
        assertThat(json.get("resubmitted").toString())
                .isEqualTo("{\"sessions\":20,\"deletedBeforeResubmit\":20,\"freshSessions\":20}");
        assertThat(json.get("returned").asBoolean()).isTrue();
        assertThat(json.get("returnedAfterSeconds").asDouble()).isEqualTo(655.56);
        assertThat(json.get("secondsPastRetention").asDouble()).isEqualTo(55.56);
        assertThat(json.get("waitedSeconds").asDouble()).isEqualTo(700.0);
        assertThat(json.get("measurementTopicConfigs").toString())
                .isEqualTo("{\"delete.retention.ms\":\"1000\",\"segment.ms\":\"10000\"}");
        assertThat(json.get("failures").get(0).asText()).isEqualTo("bench-1 FAILED: boom");
        assertThat(json.at("/machine/cores").asInt()).isEqualTo(2);
        assertThat(json.get("date").asText()).isEqualTo("2026-11-29T10:00:00Z");
    }

    @Test
    void shouldLeaveOutWhatWasNotMeasuredWhenTheDiskDidNotReturnAndNoStateDirWasGiven() throws Exception {
        RetentionResult result = result(null, null, null, null);

        JsonNode json = JSON.readTree(result.toJson());

        assertThat(json.get("returned").asBoolean()).isFalse();
        assertThat(json.has("returnedAfterSeconds")).isFalse();
        assertThat(json.has("secondsPastRetention")).isFalse();
        assertThat(json.has("deletedAfterSeconds")).isFalse();
        assertThat(json.has("stateDirBytes")).isFalse();
        assertThat(json.get("perSession").has("stateDirBytes")).isFalse();
        assertThat(json.get("waitedSeconds").asDouble()).isEqualTo(700.0);
    }
}
