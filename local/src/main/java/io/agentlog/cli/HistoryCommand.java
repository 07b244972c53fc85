package io.agentlog.cli;

import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AvroJson;
import io.agentlog.schemas.avro.SessionEvent;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "history",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Prints a session's journal as it is now, one event per line (--json: one JSON object per line,"
                + " every field), and returns without waiting for more.")
final class HistoryCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions bootstrap;

    @Parameters(paramLabel = "SESSION", description = "The session id.")
    String sessionId;

    @Option(names = "--json", description = "One JSON object per event, for programs.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (AgentlogClient client = bootstrap.client()) {
            List<SessionEvent> journal = client.journal(sessionId);
            if (journal.isEmpty()) {
                throw new ParameterException(
                        spec.commandLine(),
                        "session " + sessionId + " has no events (unknown, not started yet, or past its retention)");
            }
            journal.forEach(event -> out.println(json ? AvroJson.toJson(event) : EventLines.format(event)));
        }
        return 0;
    }
}
