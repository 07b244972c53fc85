package io.agentlog.cli;

import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.KafkaClientProperties;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * How a command reaches Kafka: {@code --bootstrap-servers} (default AGENTLOG_BOOTSTRAP_SERVERS, else localhost:9092)
 * and {@code --kafka-config} (default the file AGENTLOG_KAFKA_CONFIG names), a client properties file for a secured
 * cluster.
 */
public final class KafkaOptions {

    @Option(
            names = {"-b", "--bootstrap-servers"},
            paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:AGENTLOG_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (default: $AGENTLOG_BOOTSTRAP_SERVERS, else localhost:9092).")
    String bootstrapServers;

    @Option(
            names = "--kafka-config",
            paramLabel = "FILE",
            description = "Kafka client properties for a secured cluster: SASL, TLS (default: the file"
                    + " $AGENTLOG_KAFKA_CONFIG names, else none; see docs/security.md).")
    Path kafkaConfig;

    public String value() {
        return bootstrapServers;
    }

    /** The client properties file's settings, read and checked (a bad file fails with the reason). */
    public Map<String, String> properties() {
        return KafkaClientProperties.of(Optional.ofNullable(kafkaConfig), System.getenv());
    }

    /** An admin client's settings: the bootstrap servers and the client properties. */
    public Properties adminProperties() {
        Properties props = new Properties();
        props.putAll(properties());
        props.put("bootstrap.servers", bootstrapServers);
        return props;
    }

    /** A client of the cluster these options name. */
    public AgentlogClient client() {
        return new AgentlogClient(bootstrapServers, properties());
    }

    /**
     * Puts the options into {@code env}, for a process that reads its configuration from the environment (the engine,
     * the worker).
     */
    public void exportTo(Map<String, String> env) {
        env.put("AGENTLOG_BOOTSTRAP_SERVERS", bootstrapServers);
        if (kafkaConfig != null) {
            env.put(KafkaClientProperties.ENV, kafkaConfig.toString());
        }
    }
}
