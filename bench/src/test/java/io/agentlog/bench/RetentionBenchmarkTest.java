package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.testkit.SharedBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver against a stand-in engine ({@link FakeRetentionEngine}) on the real broker: bytes, deletion, proof. */
class RetentionBenchmarkTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Duration RETENTION = Duration.ofSeconds(10);

    private static String bootstrap;

    @BeforeAll
    static void setUp() {
        bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, DEADLINE);
    }

    @Test
    void shouldMeasureTheStoresDeleteThemAndStartDeletedSessionsAfreshWhenRetentionEnds(@TempDir Path stateDir)
            throws Exception {
        // Given an engine that keeps 7 records per session for 10 s after it ended, and a state dir of 1000 bytes
        String applicationId = "bench-retention-test-" + UUID.randomUUID();
        Files.write(stateDir.resolve("000001.sst"), new byte[1000]);
        int sessions = 30;
        try (FakeRetentionEngine engine = new FakeRetentionEngine(bootstrap, applicationId, RETENTION)) {
            List<String> progress = new ArrayList<>();
            RetentionBenchmark benchmark = new RetentionBenchmark(
                    Duration.ofMillis(500),
                    Duration.ofSeconds(2),
                    CompactionSettings.measurement(1000),
                    6,
                    progress::add);

            // When
            RetentionResult result = benchmark.run(new RetentionBenchmark.Options(
                    bootstrap,
                    applicationId,
                    sessions,
                    10,
                    512,
                    RETENTION,
                    Duration.ofSeconds(50),
                    DEADLINE,
                    Optional.of(stateDir)));

            // Then every session ran and kept its records until the retention
            assertThat(result.completed()).isEqualTo(sessions);
            assertThat(result.failed()).isZero();
            assertThat(result.timedOut()).isZero();
            assertThat(result.allLiveWhenMeasured()).isTrue();
            assertThat(result.topics())
                    .extracting(RetentionResult.TopicReport::topic)
                    .containsExactly(
                            engine.changelog("history"),
                            engine.changelog("sessions"),
                            engine.changelog("timers"),
                            engine.changelog("workspace"),
                            Topics.BLOBS.name());
            assertThat(result.perSession().liveKeys()).isEqualTo(FakeRetentionEngine.KEYS_PER_SESSION);
            // the run's ids are bench-<8 hex digits>-<0 to 29>
            double expectedLiveBytes = IntStream.range(0, sessions)
                    .mapToLong(i -> FakeRetentionEngine.liveBytesPerSession("bench-12345678-" + i))
                    .average()
                    .orElseThrow();
            assertThat(result.perSession().liveBytes()).isCloseTo(expectedLiveBytes, within(0.01));
            assertThat(result.perSession().diskBytes())
                    .isGreaterThan(result.perSession().liveBytes());
            RetentionResult.TopicReport history = result.topics().getFirst();
            assertThat(history.before().liveKeys() - history.baseline().liveKeys())
                    .isEqualTo((long) sessions * FakeRetentionEngine.HISTORY_ENTRIES);
            assertThat(result.journal())
                    .extracting(RetentionResult.TopicReport::topic)
                    .containsExactly(Topics.EVENTS.name(), Topics.RESULTS.name());
            assertThat(result.perSession().journalBytes()).isPositive();
            assertThat(result.stateDirBytes()).isEqualTo(new RetentionResult.Phases(1000, 1000, 1000));

            // and then deleted every one of them, after which the disk returned
            assertThat(result.deletedSessions()).isEqualTo(sessions);
            assertThat(result.deletedAfterSeconds()).isGreaterThanOrEqualTo(RETENTION.toSeconds());
            assertThat(result.resubmitted()).isEqualTo(new RetentionResult.Resubmission(6, 6, 6));
            assertThat(engine.sessionsStarted()).isEqualTo(1 + sessions + 6);
            assertThat(result.returned())
                    .as("returned: %s, progress: %s", result.toJson(), progress)
                    .isTrue();
            assertThat(result.totalBytes().after())
                    .isLessThan(result.totalBytes().before());
            assertThat(result.secondsPastRetention())
                    .isCloseTo(result.returnedAfterSeconds() - RETENTION.toSeconds(), within(0.011));
            assertThat(result.measurementTopicConfigs()).containsEntry(TopicConfig.SEGMENT_MS_CONFIG, "1000");
            JsonNode json = new ObjectMapper().readTree(result.toJson());
            assertThat(json.get("benchmark").asText()).isEqualTo("retention");
            assertThat(json.get("retentionMs").asLong()).isEqualTo(RETENTION.toMillis());

            // and put the topic settings back
            try (Admin admin = BenchStack.admin(bootstrap)) {
                ConfigResource changelog = new ConfigResource(ConfigResource.Type.TOPIC, engine.changelog("history"));
                ConfigEntry segment = admin.describeConfigs(List.of(changelog))
                        .all()
                        .get(30, TimeUnit.SECONDS)
                        .get(changelog)
                        .get(TopicConfig.SEGMENT_MS_CONFIG);
                assertThat(segment.source()).isNotEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            }
        }
    }

    @Test
    void shouldSayWhatToGiveWhenTheEngineHasNoChangelogs() throws Exception {
        // Given an engine that answers tasks but whose changelogs live under another application id
        try (FakeRetentionEngine engine = new FakeRetentionEngine(bootstrap, "other-" + UUID.randomUUID(), DEADLINE)) {
            RetentionBenchmark benchmark = new RetentionBenchmark(line -> {});

            // When / Then
            assertThatThrownBy(() -> benchmark.run(new RetentionBenchmark.Options(
                            bootstrap,
                            "nobody",
                            1,
                            1,
                            100,
                            Duration.ofSeconds(5),
                            Duration.ofSeconds(10),
                            DEADLINE,
                            Optional.empty())))
                    .isInstanceOf(BenchException.class)
                    .hasMessageContaining("no changelog topics nobody-<store>-changelog on " + bootstrap)
                    .hasMessageContaining("--application-id");
        }
    }

    @Test
    void shouldSpreadTheSampleOverEveryPartitionAndTheRunWhenSampling() {
        // Given
        List<String> ids =
                IntStream.range(0, 1000).mapToObj(i -> "bench-abcd1234-" + i).toList();

        // When
        List<String> sample = RetentionBenchmark.sample(ids, 20, 6);

        // Then
        assertThat(sample).hasSize(20).doesNotHaveDuplicates().isSubsetOf(ids);
        Set<Integer> partitions = sample.stream()
                .map(id -> Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % 6)
                .collect(Collectors.toSet());
        assertThat(partitions).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
        assertThat(sample.stream().mapToInt(ids::indexOf).max().orElseThrow()).isGreaterThan(500);
        assertThat(RetentionBenchmark.sample(ids.subList(0, 5), 20, 6)).isEqualTo(ids.subList(0, 5));
    }

    @Test
    void shouldSumTheFilesUnderADirectoryWhenSizingTheStateDir(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("a"), new byte[10]);
        Files.createDirectories(dir.resolve("0_1/rocksdb"));
        Files.write(dir.resolve("0_1/rocksdb/b"), new byte[32]);

        assertThat(RetentionBenchmark.directoryBytes(dir)).isEqualTo(42);
        assertThatThrownBy(() -> RetentionBenchmark.directoryBytes(dir.resolve("missing")))
                .isInstanceOf(BenchException.class)
                .hasMessageContaining("is not a directory");
    }

    @Test
    void shouldRefuseBadOptionsQuotingTheValue() {
        Duration minute = Duration.ofMinutes(1);
        Duration hour = Duration.ofHours(1);
        Optional<Path> none = Optional.empty();
        assertThatThrownBy(() -> new RetentionBenchmark.Options(" ", "app", 1, 1, 1, minute, hour, hour, none))
                .hasMessageContaining("bootstrap servers");
        assertThatThrownBy(() -> new RetentionBenchmark.Options(bootstrap, "a b", 1, 1, 1, minute, hour, hour, none))
                .hasMessage("application id must match [A-Za-z0-9._-]+, but was 'a b'");
        assertThatThrownBy(() -> new RetentionBenchmark.Options(bootstrap, "app", 0, 1, 1, minute, hour, hour, none))
                .hasMessage("sessions must be at least 1, but was 0");
        assertThatThrownBy(() -> new RetentionBenchmark.Options(bootstrap, "app", 1, 0, 1, minute, hour, hour, none))
                .hasMessage("concurrency must be at least 1, but was 0");
        assertThatThrownBy(() -> new RetentionBenchmark.Options(bootstrap, "app", 1, 1, 0, minute, hour, hour, none))
                .hasMessage("file bytes must be between 1 and 262144, but was 0");
        assertThatThrownBy(() -> new RetentionBenchmark.Options(
                        bootstrap, "app", 1, 1, 1, Duration.ofMillis(999), hour, hour, none))
                .hasMessage("retention must be at least 1s (the engine's minimum), but was PT0.999S");
        assertThatThrownBy(() -> new RetentionBenchmark.Options(bootstrap, "app", 1, 1, 1, hour, minute, hour, none))
                .hasMessage("wait must be longer than the retention (PT1H): deleting starts when the retention is "
                        + "over, but was PT1M");
        assertThatThrownBy(() ->
                        new RetentionBenchmark.Options(bootstrap, "app", 1, 1, 1, minute, hour, Duration.ZERO, none))
                .hasMessage("timeout must be positive, but was PT0S");
        assertThat(new RetentionBenchmark.Options(bootstrap, "app", 10, 5, 1024, minute, hour, hour, none).waitLimit())
                .isEqualTo(hour);
    }
}
