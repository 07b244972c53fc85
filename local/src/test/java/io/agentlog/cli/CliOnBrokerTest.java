package io.agentlog.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.Topics;
import io.agentlog.testkit.SharedBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client commands against a real broker (no engine: they only write and read topics). */
class CliOnBrokerTest {

    private static String bootstrap;

    @BeforeAll
    static void createTopics() {
        bootstrap = SharedBroker.bootstrapServers();
        CliRun run = CliRun.of("topics", "create", "--bootstrap-servers", bootstrap);
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("topics on " + bootstrap);
    }

    @Test
    void shouldSayAllTopicsExistWhenCreatedTwice() {
        CliRun run = CliRun.of("topics", "create", "-b", bootstrap);

        assertThat(run.exitCode()).isZero();
        assertThat(run.out().strip())
                .isEqualTo("All " + Topics.all(Topics.DEFAULT_POOLS).size() + " topics exist on " + bootstrap);
    }

    @Test
    void shouldListDemoAgentWhenItWasPut() {
        // Given
        Path demoAgent = Path.of("..", "examples", "agents", "demo-agent.yaml");

        // When
        CliRun put = CliRun.of("agents", "put", "-b", bootstrap, demoAgent.toString());
        CliRun list = CliRun.of("agents", "list", "-b", bootstrap);

        // Then
        assertThat(put.exitCode()).as(put.err()).isZero();
        assertThat(put.out())
                .contains("Registered agent demo@1 (scripted model, tools: write_file,list_files,read_file)");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains("NAME").containsPattern("demo\\s+1\\s+scripted\\s+write_file,list_files");
    }

    @Test
    void shouldRefuseWithOneLineAndExitTwoWhenARegisteredVersionIsPutWithOtherContent(@TempDir Path dir)
            throws Exception {
        // Given an agent registered from a file
        String name = "cli-pinned-" + UUID.randomUUID().toString().substring(0, 8);
        Path file = dir.resolve("agent.yaml");
        Files.writeString(file, """
                name: %s
                version: 1
                model: {provider: scripted}
                systemPrompt: Be careful.
                script: [{text: done}]
                """.formatted(name));
        CliRun first = CliRun.of("agents", "put", "-b", bootstrap, file.toString());
        assertThat(first.exitCode()).as(first.err()).isZero();

        // When the same file is put again, then with another prompt under the same version
        CliRun again = CliRun.of("agents", "put", "-b", bootstrap, file.toString());
        Files.writeString(file, Files.readString(file).replace("Be careful.", "Be quick."));
        CliRun changed = CliRun.of("agents", "put", "-b", bootstrap, file.toString());
        CliRun list = CliRun.of("agents", "list", "--json", "-b", bootstrap);

        // Then the repeat does nothing and says so; the change is refused with one line naming the key and the
        // version to use, and the registered definition is still the first
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).startsWith("Agent " + name + "@1 is already registered with this content (since ");
        assertThat(changed.exitCode()).isEqualTo(2);
        assertThat(changed.out()).isEmpty();
        assertThat(changed.err())
                .isEqualTo("agentlog: agent " + name + "@1 is already registered with different content"
                        + " (systemPrompt); a registered version never changes: set version: 2 and put it again"
                        + System.lineSeparator());
        assertThat(list.out().lines().filter(line -> line.contains("\"" + name + "\"")))
                .singleElement()
                .satisfies(line -> assertThat(line).contains("Be careful.").doesNotContain("Be quick."));
    }

    @Test
    void shouldShowTheNewestVersionOrTheOneAskedForAndSayWhichVersionsExist(@TempDir Path dir) throws Exception {
        // Given an agent registered in two versions
        String name = "cli-show-" + UUID.randomUUID().toString().substring(0, 8);
        Path file = dir.resolve("agent.yaml");
        String v1 = """
                name: %s
                version: 1
                model: {provider: scripted}
                systemPrompt: First prompt.
                compaction: {maxHistoryTokens: 9000}
                script: [{text: done}]
                """.formatted(name);
        Files.writeString(file, v1);
        assertThat(CliRun.of("agents", "put", "-b", bootstrap, file.toString()).exitCode())
                .isZero();
        Files.writeString(file, v1.replace("version: 1", "version: 2").replace("First", "Second"));
        assertThat(CliRun.of("agents", "put", "-b", bootstrap, file.toString()).exitCode())
                .isZero();

        // When each is shown, and a version that does not exist
        CliRun newest = CliRun.of("agents", "show", name, "-b", bootstrap);
        CliRun first = CliRun.of("agents", "show", name + "@1", "--json", "-b", bootstrap);
        CliRun missing = CliRun.of("agents", "show", name + "@7", "-b", bootstrap);

        // Then the newest is YAML with every field, the first JSON, and the missing one is named with those there are
        assertThat(newest.exitCode()).as(newest.err()).isZero();
        assertThat(newest.out())
                .contains("name: " + name)
                .contains("version: 2")
                .contains("systemPrompt: Second prompt.")
                .contains("maxHistoryTokens: 9000")
                .contains("createdAt:");
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("\"version\" : 1").contains("First prompt.");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("agent '" + name + "' has no version 7; its versions are 1, 2");
    }

    @Test
    void shouldPrintSessionIdWhenSubmittingWithoutWaiting() {
        String sessionId = "cli-" + UUID.randomUUID();

        CliRun run =
                CliRun.of("submit", "-b", bootstrap, "--agent", "demo", "--input", "hi", "--session-id", sessionId);

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip()).isEqualTo(sessionId);
    }

    @Test
    void shouldTimeOutWithExitOneWhenNoEngineAnswers() {
        CliRun run = CliRun.of(
                "submit", "-b", bootstrap, "--agent", "demo", "--input", "hi", "--wait", "--timeout", "300ms");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("no result for session").contains("within 300 ms");
    }
}
