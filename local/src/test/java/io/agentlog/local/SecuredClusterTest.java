package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AgentlogException;
import io.agentlog.engine.Engine;
import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.AgentlogAcls;
import io.agentlog.schemas.KafkaClientProperties;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.testkit.SecuredBroker;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * agentlog on a secured cluster: a broker that speaks only SASL_SSL (SCRAM-SHA-512 over TLS) and denies whatever an
 * ACL does not allow. Engine, worker and client each log in as their own user, with their settings in a client
 * properties file (as {@code --kafka-config} reads it), and each holds only its {@link AgentlogAcls}.
 */
class SecuredClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final List<String> POOLS = List.of(Topics.MODEL_POOL, Topics.TOOLS_POOL);
    private static final String APPLICATION_ID = "secured-engine";

    @TempDir
    static Path dir;

    private static SecuredBroker broker;
    private static Engine engine;
    private static Worker worker;

    @BeforeAll
    static void startSecuredStack() throws Exception {
        broker = SecuredBroker.start(dir.resolve("broker"), List.of("engine", "worker", "client"));
        List<AclBinding> acls = new ArrayList<>();
        acls.addAll(AgentlogAcls.engine("User:engine", APPLICATION_ID));
        acls.addAll(AgentlogAcls.worker("User:worker", POOLS));
        acls.addAll(AgentlogAcls.client("User:client"));
        acls.addAll(AgentlogAcls.agentRegistrar("User:client"));
        try (Admin admin = broker.admin()) {
            TopicSetup.createAll(admin, POOLS, (short) 1, DEADLINE);
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        }
        engine = Engine.start(EngineConfig.defaults(broker.bootstrapServers(), dir.resolve("engine-state")).toBuilder()
                .applicationId(APPLICATION_ID)
                .kafkaProperties(KafkaClientProperties.load(propertiesFile("engine")))
                .build());
        worker = Worker.start(WorkerConfig.defaults(broker.bootstrapServers()).toBuilder()
                .pools(POOLS)
                .openAiApiKey(Optional.of("unused"))
                .kafkaProperties(KafkaClientProperties.load(propertiesFile("worker")))
                .build());
        if (!engine.awaitRunning(DEADLINE)) {
            throw new AssertionError("the engine did not reach RUNNING on the secured broker within " + DEADLINE);
        }
    }

    @AfterAll
    static void stop() {
        if (worker != null) {
            worker.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void shouldRunASessionWhenEveryComponentHoldsOnlyItsOwnAcls() throws Exception {
        // Given a client that logs in as "client" with its properties file
        try (AgentlogClient client =
                new AgentlogClient(broker.bootstrapServers(), KafkaClientProperties.load(propertiesFile("client")))) {
            String agent = "secured-" + UUID.randomUUID();
            client.putAgent(AgentDefinitions.parse("""
                    name: %s
                    version: 1
                    model: {provider: scripted}
                    tools: [noop]
                    script:
                      - toolCalls: [{name: noop, arguments: {n: 1}}]
                      - text: done over TLS
                    """.formatted(agent), "secured.yaml"));

            // When it submits a task whose model turns and tool call run on the worker
            String session = client.submit(AgentlogClient.task(agent, "go").build());

            // Then the session completes through engine and worker, each with its own user
            SessionResult result = client.awaitResult(session, DEADLINE);
            assertThat(result.getStatus()).as("%s", result).isEqualTo(ResultStatus.COMPLETED);
            assertThat(result.getOutput()).isEqualTo("done over TLS");
            assertThat(result.getToolCalls()).isEqualTo(1);
        }
    }

    @Test
    void shouldDenyTheWorkerUserWhatOnlyClientsMayDo() throws Exception {
        // Given the worker's credentials (what a tool that escaped its sandbox could find)
        Map<String, Object> configs = new HashMap<>(KafkaClientProperties.load(propertiesFile("worker")));
        configs.put("bootstrap.servers", broker.bootstrapServers());
        configs.put("max.block.ms", 20_000);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(configs, new StringSerializer(), new StringSerializer())) {
            // When they are used to submit a task
            // Then the broker refuses: the worker may not write tasks
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.TASKS.name(), "s", "{}"))
                            .get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void shouldFailWithAClearMessageWhenTheClientHasNoCredentials() {
        // Given a client without the properties file: plaintext against a SASL_SSL listener
        try (AgentlogClient plain = new AgentlogClient(broker.bootstrapServers(), Map.of(), Duration.ofSeconds(5))) {
            // When it submits
            // Then it fails with a message that says Kafka did not answer, not with a hang
            assertThatThrownBy(
                            () -> plain.submit(AgentlogClient.task("any", "x").build()))
                    .isInstanceOf(AgentlogException.class)
                    .hasMessageContaining(broker.bootstrapServers());
        }
    }

    private static Path propertiesFile(String user) throws IOException {
        Path file = dir.resolve(user + ".properties");
        StringBuilder text = new StringBuilder("# " + user + "'s client properties, as --kafka-config reads them\n");
        broker.clientConfigs(user)
                .forEach((key, value) -> text.append(key)
                        .append('=')
                        .append(value.replace("\\", "\\\\"))
                        .append('\n'));
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------")); // it holds a password
        return file;
    }
}
