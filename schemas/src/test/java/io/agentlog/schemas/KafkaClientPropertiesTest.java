package io.agentlog.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientPropertiesTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadSecuritySettingsWhenTheFileIsAClientPropertiesFile() throws IOException {
        // Given a client.properties file as Kafka's own tools read it
        Path file = Files.writeString(dir.resolve("client.properties"), """
                # SASL over TLS
                security.protocol=SASL_SSL
                sasl.mechanism = SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\
                    username="engine" password="s3cret";
                ssl.truststore.location=/etc/agentlog/truststore.p12
                """);

        // When it is loaded
        Map<String, String> properties = KafkaClientProperties.load(file);

        // Then every setting is there, continued lines joined
        assertThat(properties)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.location", "/etc/agentlog/truststore.p12")
                .hasSize(4);
        assertThat(properties.get("sasl.jaas.config")).endsWith("username=\"engine\" password=\"s3cret\";");
    }

    @Test
    void shouldRefuseAFileThatChangesWhatTheGuaranteesRestOn() throws IOException {
        // Given a file that would turn off idempotence and read uncommitted records
        Path file = Files.writeString(
                dir.resolve("bad.properties"),
                "security.protocol=SSL\nenable.idempotence=false\nisolation.level=read_uncommitted\n");

        // When it is loaded
        // Then it is refused, naming the file and both keys
        assertThatThrownBy(() -> KafkaClientProperties.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("[enable.idempotence, isolation.level]")
                .hasMessageContaining("which agentlog sets itself");
    }

    @Test
    void shouldPointToTheBootstrapOptionWhenTheFileSetsTheBrokers() throws IOException {
        Path file = Files.writeString(dir.resolve("brokers.properties"), "bootstrap.servers=kafka:9093\n");

        assertThatThrownBy(() -> KafkaClientProperties.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--bootstrap");
    }

    @Test
    void shouldSayNoSuchFileWhenTheFileIsMissing() {
        Path missing = dir.resolve("nope.properties");

        assertThatThrownBy(() -> KafkaClientProperties.of(Optional.of(missing), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read the Kafka client properties file " + missing + ": no such file");
    }

    @Test
    void shouldUseTheFileTheEnvironmentNamesWhenNoneIsGiven() throws IOException {
        Path file = Files.writeString(dir.resolve("env.properties"), "security.protocol=SSL\n");

        assertThat(KafkaClientProperties.of(Optional.empty(), Map.of(KafkaClientProperties.ENV, file.toString())))
                .containsExactly(Map.entry("security.protocol", "SSL"));
        assertThat(KafkaClientProperties.of(Optional.empty(), Map.of())).isEmpty();
    }
}
