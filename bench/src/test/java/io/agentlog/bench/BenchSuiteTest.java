package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The suite's bookkeeping: options, the results directory, one file per scenario and the summary. */
class BenchSuiteTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant AT = Instant.parse("2026-11-30T10:00:00Z");

    @Test
    void shouldWriteAFilePerScenarioAndASummaryWhenScenariosFailOrCannotRun(@TempDir Path root) throws Exception {
        // Given stacks that cannot start, except a running stack for recovery, which it cannot kill an engine of
        StackProvider stacks = (scenario, spec) -> {
            if (scenario.equals("recovery")) {
                return BenchTarget.remote("127.0.0.1:1");
            }
            throw new BenchException("no stack for " + scenario + " with " + spec.engines() + " engine");
        };
        List<String> progress = new ArrayList<>();
        BenchSuite suite = new BenchSuite(stacks, progress::add, Clock.fixed(AT, ZoneOffset.UTC));

        // When
        BenchSuite.Run run = suite.run(new BenchSuite.Options(
                List.of("floors", "recovery"), SuiteSizes.quick(), true, root, "agentlog-engine"));

        // Then
        assertThat(run.dir()).isEqualTo(root.resolve("2026-11-30T10-00-00Z"));
        assertThat(run.dir().resolve("floors.json")).exists();
        assertThat(run.dir().resolve("recovery.json")).exists();
        JsonNode summary = JSON.readTree(Files.readString(run.dir().resolve(BenchSuite.SUMMARY_FILE)));
        assertThat(summary.get("benchmark").asText()).isEqualTo("suite");
        assertThat(summary.get("quick").asBoolean()).isTrue();
        assertThat(summary.get("resultsDir").asText()).isEqualTo(run.dir().toString());
        assertThat(summary.at("/scenarios/0/scenario").asText()).isEqualTo("floors");
        assertThat(summary.at("/scenarios/0/status").asText()).isEqualTo("failed");
        assertThat(summary.at("/scenarios/0/error").asText()).isEqualTo("no stack for floors with 1 engine");
        assertThat(summary.at("/scenarios/0/file").asText()).isEqualTo("floors.json");
        assertThat(summary.at("/scenarios/1/status").asText()).isEqualTo("skipped");
        assertThat(summary.at("/scenarios/1/error").asText()).contains("without --bootstrap-servers");
        assertThat(run.summary().allSucceeded()).isFalse();
        assertThat(run.summary().toJson()).doesNotContain("\n");
        JsonNode report = JSON.readTree(Files.readString(run.dir().resolve("recovery.json")));
        assertThat(report.get("stack").asText()).contains("127.0.0.1:1");
        assertThat(report.has("measured")).isFalse();
        assertThat(report.at("/loadAverage/before")).isNotNull();
        assertThat(progress).contains("== floors (quick) ==").anyMatch(l -> l.startsWith("recovery skipped: "));
    }

    @Test
    void shouldCountOnlyFailuresAgainstTheRunWhenAScenarioIsSkipped(@TempDir Path root) {
        BenchSuite suite = new BenchSuite(
                (scenario, spec) -> BenchTarget.remote("127.0.0.1:1"), line -> {}, Clock.fixed(AT, ZoneOffset.UTC));

        BenchSuite.Run run = suite.run(
                new BenchSuite.Options(List.of("recovery"), SuiteSizes.quick(), false, root, "agentlog-engine"));

        assertThat(run.summary().allSucceeded()).isTrue();
        assertThat(run.reports().getFirst().succeeded()).isTrue();
    }

    @Test
    void shouldTakeANewDirectoryWhenTwoRunsStartInTheSameSecond(@TempDir Path root) {
        Path first = BenchSuite.createRunDir(root, AT);
        Path second = BenchSuite.createRunDir(root, AT);

        assertThat(first.getFileName().toString()).isEqualTo("2026-11-30T10-00-00Z");
        assertThat(second.getFileName().toString()).isEqualTo("2026-11-30T10-00-00Z-2");
    }

    @Test
    void shouldRefuseUnknownOrRepeatedScenariosAndBadApplicationIds(@TempDir Path root) {
        SuiteSizes sizes = SuiteSizes.quick();

        assertThatThrownBy(() -> new BenchSuite.Options(List.of("speed"), sizes, true, root, "app"))
                .hasMessageStartingWith("no scenario is called 'speed'; the scenarios are [floors, latency,");
        assertThatThrownBy(() -> new BenchSuite.Options(List.of("floors", "floors"), sizes, true, root, "app"))
                .hasMessage("each scenario runs once, but [floors, floors] repeats one");
        assertThatThrownBy(() -> new BenchSuite.Options(List.of(), sizes, true, root, "app"))
                .hasMessageStartingWith("name at least one scenario");
        assertThatThrownBy(() -> new BenchSuite.Options(List.of("floors"), sizes, true, root, "no spaces"))
                .hasMessage("application id must match [A-Za-z0-9._-]+, but was 'no spaces'");
    }

    @Test
    void shouldNameEveryScenarioOfTheSuiteWhenAskedForOne() {
        for (String name : BenchSuite.SCENARIOS) {
            assertThat(BenchSuite.scenario(name).name()).isEqualTo(name);
            assertThat(BenchSuite.scenario(name).stack(SuiteSizes.quick()).engines())
                    .isPositive();
        }
        assertThat(BenchSuite.scenario("recovery").stack(SuiteSizes.quick()).engines())
                .isEqualTo(2);
        assertThat(BenchSuite.scenario("parked").stack(SuiteSizes.quick()).topicOnlyPools())
                .containsExactly(HoldAgent.POOL);
    }
}
