package io.agentlog.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's entry points fed what a hostile or careless user would give them: each answer is one clear line on
 * stderr, usage exit code 2, no stack trace, and nothing is sent anywhere (no broker runs here: {@code -b} names a
 * port nobody listens on).
 */
class HostileCliInputTest {

    private static final String NOBODY = "127.0.0.1:1";

    @Test
    void shouldNameTheFileAndTheLineWhenADefinitionIsNotValidYaml(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, "name: [unclosed\n  version: 1");

        CliRun run = CliRun.of("agents", "put", file.toString(), "-b", NOBODY);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err())
                .startsWith("agentlog: " + file + ": not valid YAML at line 2")
                .doesNotContain("\tat ");
    }

    @Test
    void shouldRefuseADefinitionOfRandomBytesOrNothingOrADirectory(@TempDir Path dir) throws Exception {
        Path random = dir.resolve("random.yaml");
        byte[] bytes = new byte[4096];
        new Random(7).nextBytes(bytes);
        Files.write(random, bytes);
        Path empty = Files.writeString(dir.resolve("empty.yaml"), "");
        Path truncated = Files.writeString(dir.resolve("truncated.json"), "{\"name\": \"x\", \"version\": 1, \"mod");

        for (Path file : new Path[] {random, empty, truncated, dir}) {
            CliRun run = CliRun.of("agents", "put", file.toString(), "-b", NOBODY);

            assertThat(run.exitCode()).as(file.toString()).isEqualTo(2);
            assertThat(run.err())
                    .as(file.toString())
                    .startsWith("agentlog: " + file + ": ")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void shouldNameTheFileAndTheKeysWhenAKafkaConfigIsMissingOrChangesTheGuarantees(@TempDir Path dir)
            throws Exception {
        Path missing = dir.resolve("missing.properties");
        Path unsafe = Files.writeString(dir.resolve("unsafe.properties"), "security.protocol=SSL\nacks=1\n");

        CliRun noFile = CliRun.of("submit", "--agent", "a", "--input", "x", "--kafka-config", missing.toString());
        CliRun badKey = CliRun.of("watch", "s-1", "--kafka-config", unsafe.toString(), "-b", NOBODY);

        assertThat(noFile.exitCode()).isEqualTo(2);
        assertThat(noFile.err())
                .startsWith("agentlog: cannot read the Kafka client properties file " + missing + ": no such file")
                .doesNotContain("\tat ");
        assertThat(badKey.exitCode()).isEqualTo(2);
        assertThat(badKey.err())
                .contains(unsafe + " sets [acks], which agentlog sets itself")
                .doesNotContain("\tat ");
    }

    @Test
    void shouldPrintTheLeastPrivilegeAclsAsKafkaAclsCommands() {
        CliRun run = CliRun.of("acls", "--worker", "User:worker", "--pools", "model");
        CliRun nobody = CliRun.of("acls");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .contains("--allow-principal User:worker --operation read --operation describe --topic"
                        + " agentlog.work.model")
                .doesNotContain("agentlog.tasks");
        assertThat(nobody.exitCode()).isEqualTo(2);
        assertThat(nobody.err()).contains("name at least one principal");
    }

    @Test
    void shouldQuoteAnInvalidSessionIdBeforeSendingAnything() {
        for (String[] args : new String[][] {
            {"submit", "--agent", "a", "--input", "x", "--session-id", "bad id!", "-b", NOBODY},
            {"cancel", "bad id!", "-b", NOBODY},
            {"steer", "../../etc", "hello", "-b", NOBODY},
            {"watch", "x".repeat(200), "-b", NOBODY}
        }) {
            CliRun run = CliRun.of(args);

            assertThat(run.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(run.err())
                    .as(String.join(" ", args))
                    .contains("session id '")
                    .contains("is invalid")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void shouldRefuseChaosRunsThatCannotTestAnything() {
        CliRun noSessions = CliRun.of("chaos", "--sessions", "0", "--kills", "1");
        CliRun negativeKills = CliRun.of("chaos", "--sessions", "5", "--kills", "-1");
        CliRun notANumber = CliRun.of("chaos", "--sessions", "many", "--kills", "1");
        CliRun twoBrokers = CliRun.of("chaos", "--sessions", "5", "--kills", "1", "--brokers", "2");

        assertThat(noSessions.exitCode()).isEqualTo(2);
        assertThat(noSessions.err()).contains("--sessions must be at least 1, but was 0");
        assertThat(negativeKills.exitCode()).isEqualTo(2);
        assertThat(negativeKills.err()).contains("--kills must not be negative, but was -1");
        assertThat(notANumber.exitCode()).isEqualTo(2);
        assertThat(notANumber.err()).contains("'many'").doesNotContain("\tat ");
        assertThat(twoBrokers.exitCode()).isEqualTo(2);
        assertThat(twoBrokers.err())
                .contains("--brokers must be 1 or 3, but was 2")
                .doesNotContain("\tat ");
    }
}
