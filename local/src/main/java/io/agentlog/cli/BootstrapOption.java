package io.agentlog.cli;

import picocli.CommandLine.Option;

/** {@code --bootstrap-servers}, defaulting to AGENTLOG_BOOTSTRAP_SERVERS, else localhost:9092. */
public final class BootstrapOption {

    @Option(
            names = {"-b", "--bootstrap-servers"},
            paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:AGENTLOG_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (default: $AGENTLOG_BOOTSTRAP_SERVERS, else localhost:9092).")
    String bootstrapServers;

    public String value() {
        return bootstrapServers;
    }
}
