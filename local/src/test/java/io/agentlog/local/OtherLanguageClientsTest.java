package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.testkit.Prerequisites;
import io.agentlog.testkit.SharedBroker;
import io.agentlog.testkit.TopicRecords;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's Python and Node.js examples ({@code examples/python}, {@code examples/node}) as child processes against
 * a real stack: each submits a task with its client's default partitioner and prints the result it decoded from
 * Avro. One stack for both. Their clients (Debian's python3-confluent-kafka and python3-avro; kafkajs and avsc from
 * {@code npm ci}) are prerequisites: missing, the test is skipped here and fails on CI.
 */
class OtherLanguageClientsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EXAMPLES =
            Path.of("..", "examples").toAbsolutePath().normalize();
    private static final Path NODE_EXAMPLE = EXAMPLES.resolve("node");
    /** Debian's python3-* packages install for the system interpreter, not for a python3 found first on PATH. */
    private static final String PYTHON = "/usr/bin/python3";

    private static InProcessStack stack;
    private static String agent;
    private static String expectedOutput;

    @BeforeAll
    static void startStack() throws Exception {
        stack = InProcessStack.start("other-languages", DEADLINE);
        AgentDefinition demo = AgentDefinitions.load(EXAMPLES.resolve(Path.of("agents", "demo-agent.yaml")));
        demo.setName("other-languages-" + UUID.randomUUID());
        stack.client.putAgent(demo);
        agent = demo.getName();
        List<ScriptedTurn> script = demo.getScript();
        expectedOutput = script.get(script.size() - 1).getText();
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldPrintTheDecodedResultWhenPythonSubmitsWithLibrdkafkasDefaultPartitioner() throws Exception {
        // Given Python's confluent-kafka and avro, and a session id that librdkafka's default partitioner (CRC32)
        // puts on another partition than the Java client's (murmur2)
        Prerequisites.require(
                "the Python example (Debian's python3-confluent-kafka and python3-avro)",
                missing(List.of(PYTHON, "-c", "import confluent_kafka, avro.schema"), EXAMPLES));
        String session = sessionIdPartitionedElsewhereByCrc32();

        // When the example submits a task for it and waits for the result
        Run run = run(
                example(
                        List.of(
                                PYTHON,
                                EXAMPLES.resolve(Path.of("python", "submit_task.py"))
                                        .toString()),
                        session),
                EXAMPLES);

        // Then it printed the session's result, decoded; its task went to librdkafka's partition and the engine
        // wrote it back to murmur2's
        assertPrintedTheResult(run, session);
        try (KafkaConsumer<String, byte[]> tasks = TopicRecords.readCommitted(
                SharedBroker.bootstrapServers(), Topics.TASKS.name(), new ByteArrayDeserializer())) {
            List<Integer> partitions = TopicRecords.await(tasks, session, 2, DEADLINE).stream()
                    .map(ConsumerRecord::partition)
                    .toList();
            assertThat(partitions).containsExactlyInAnyOrder(crc32Partition(session), murmur2Partition(session));
        }
    }

    @Test
    void shouldPrintTheDecodedResultWhenNodeSubmitsWithKafkajsDefaultPartitioner() throws Exception {
        // Given kafkajs and avsc, installed from the example's lockfile
        Prerequisites.require("the Node.js example (node, and kafkajs and avsc from npm ci)", nodeMissing());
        String session = "node-" + UUID.randomUUID();

        // When the example submits a task and waits for the result
        Run run = run(example(List.of("node", "submit-task.js"), session), NODE_EXAMPLE);

        // Then it printed the session's result, decoded
        assertPrintedTheResult(run, session);
    }

    /** The example's command line: both take the same options. */
    private static List<String> example(List<String> program, String session) {
        List<String> command = new ArrayList<>(program);
        command.addAll(List.of(
                "--bootstrap-servers",
                SharedBroker.bootstrapServers(),
                "--agent",
                agent,
                "--timeout",
                "60",
                "--session-id",
                session,
                "say hello"));
        return command;
    }

    private static void assertPrintedTheResult(Run run, String session) throws IOException {
        assertThat(run.exitCode()).as("exit code; stderr: %s", run.stderr()).isZero();
        JsonNode printed = JSON.readTree(run.stdout());
        assertThat(printed.path("sessionId").asText()).isEqualTo(session);
        assertThat(printed.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(printed.path("output").asText()).isEqualTo(expectedOutput);
        assertThat(printed.path("agent").asText()).isEqualTo(agent);
        assertThat(printed.path("steps").asInt()).isEqualTo(3);
        assertThat(printed.path("finishedAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        // what the Java client reads for the session is what the example printed
        SessionResult result = stack.client.awaitResult(session, DEADLINE);
        assertThat(result.getStatus()).isEqualTo(ResultStatus.COMPLETED);
        assertThat(printed.path("usage").path("inputTokens").asLong())
                .isEqualTo(result.getUsage().getInputTokens());
    }

    private static String sessionIdPartitionedElsewhereByCrc32() {
        while (true) {
            String session = "py-" + UUID.randomUUID();
            if (crc32Partition(session) != murmur2Partition(session)) {
                return session;
            }
        }
    }

    /** The Java client's default for keyed records. */
    private static int murmur2Partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % Topics.SESSION_PARTITIONS;
    }

    /** librdkafka's default for keyed records ({@code consistent_random}): CRC32 of the key bytes. */
    private static int crc32Partition(String key) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % Topics.SESSION_PARTITIONS);
    }

    /** Why the Node example cannot run: no node, or its packages are not installed and {@code npm ci} fails. */
    private static Optional<String> nodeMissing() throws InterruptedException {
        Optional<String> node = missing(List.of("node", "--version"), NODE_EXAMPLE);
        if (node.isPresent()) {
            return node;
        }
        Path modules = NODE_EXAMPLE.resolve("node_modules");
        if (Files.isDirectory(modules.resolve("kafkajs")) && Files.isDirectory(modules.resolve("avsc"))) {
            return Optional.empty();
        }
        return missing(List.of("npm", "ci", "--no-audit", "--no-fund"), NODE_EXAMPLE);
    }

    /** Empty when {@code command} runs and exits 0, else what went wrong. */
    private static Optional<String> missing(List<String> command, Path dir) throws InterruptedException {
        try {
            Run run = run(command, dir);
            return run.exitCode() == 0
                    ? Optional.empty()
                    : Optional.of(
                            String.join(" ", command) + " exited " + run.exitCode() + ": " + lastLine(run.stderr()));
        } catch (IOException e) {
            return Optional.of(String.join(" ", command) + " cannot run: " + e.getMessage());
        }
    }

    /** A Python traceback's or npm's last line says what is missing. */
    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.isEmpty() ? "(nothing on stderr)" : lines.get(lines.size() - 1);
    }

    private record Run(int exitCode, String stdout, String stderr) {}

    private static Run run(List<String> command, Path dir) throws IOException, InterruptedException {
        Path out = Files.createTempFile("other-languages", ".out");
        Path err = Files.createTempFile("other-languages", ".err");
        try {
            Process process = new ProcessBuilder(new ArrayList<>(command))
                    .directory(dir.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(
                        command + " did not end within " + DEADLINE + "; stderr: " + Files.readString(err));
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
