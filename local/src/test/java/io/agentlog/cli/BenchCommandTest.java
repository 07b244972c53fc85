package io.agentlog.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code bench} commands' options, checked before any stack is started or reached. */
class BenchCommandTest {

    @Test
    void shouldNameTheBenchmarksWhenNoneIsGiven() {
        CliRun run = CliRun.of("bench");

        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err())
                .contains(
                        "say which benchmark: all, throughput, floors, latency, parked, recovery, history, steps, retention");
    }

    @Test
    void shouldQuoteTheBadValueWithoutStackTraceWhenRetentionOptionsAreWrong() {
        // When the wait ends before the retention could delete anything
        CliRun run = CliRun.of("bench", "retention", "--sessions", "10", "--retention", "10m", "--wait", "5m");

        // Then
        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err())
                .contains("agentlog: wait must be longer than the retention (PT10M)", "but was PT5M")
                .doesNotContain("at io.agentlog")
                .doesNotContain("starting a throwaway stack");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void shouldRefuseAFileLargerThanTheAgentsTopicTakesWhenAsked() {
        CliRun run = CliRun.of("bench", "retention", "--sessions", "10", "--file-bytes", "300000");

        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err()).contains("file bytes must be between 1 and 262144, but was 300000");
    }

    @Test
    void shouldRefuseAnApplicationIdTheEngineWouldRefuseWhenGiven() {
        CliRun run = CliRun.of("bench", "retention", "--sessions", "1", "--application-id", "no spaces");

        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err()).contains("application id must match [A-Za-z0-9._-]+, but was 'no spaces'");
    }

    @Test
    void shouldRefuseAStateDirWithoutAStackToMeasureWhenNoBootstrapServersAreGiven() {
        CliRun run = CliRun.of("bench", "retention", "--sessions", "1", "--state-dir", "/tmp");

        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err())
                .contains("--state-dir goes with --bootstrap-servers")
                .doesNotContain("throwaway stack (");
    }

    @Test
    void shouldQuoteTheBadCountWithoutStartingAStackWhenAScenarioIsGivenNoSessions() {
        CliRun run = CliRun.of("bench", "parked", "--quick", "--sessions", "0");

        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err())
                .contains("agentlog: --sessions must be at least 1, but was 0")
                .doesNotContain("throwaway stack")
                .doesNotContain("at io.agentlog");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void shouldRefuseAnApplicationIdTheEngineWouldRefuseWhenTheSuiteIsRun() {
        CliRun run = CliRun.of("bench", "all", "--quick", "--application-id", "no spaces");

        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err()).contains("application id must match [A-Za-z0-9._-]+, but was 'no spaces'");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void shouldSkipRecoveryAndSayWhyWhenGivenARunningStack(@TempDir Path results) throws Exception {
        // Given a stack the benchmark did not start: it cannot kill one of its engines
        CliRun run = CliRun.of(
                "bench", "recovery", "--bootstrap-servers", "127.0.0.1:1", "--results-dir", results.toString());

        // Then the scenario is reported as skipped, with the reason, and its file is written
        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.OK);
        JsonNode report = new ObjectMapper().readTree(run.out());
        assertThat(report.get("scenario").asText()).isEqualTo("recovery");
        assertThat(report.get("status").asText()).isEqualTo("skipped");
        assertThat(report.get("error").asText()).contains("run it without --bootstrap-servers");
        try (var dirs = Files.list(results)) {
            Path dir = dirs.findFirst().orElseThrow();
            assertThat(dir.resolve("recovery.json")).exists();
            assertThat(dir.resolve("summary.json")).exists();
        }
    }
}
