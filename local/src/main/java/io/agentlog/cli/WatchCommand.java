package io.agentlog.cli;

import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Prints a session's events, from its start, until it ends; exits 0 when it completed.")
final class WatchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    BootstrapOption bootstrap;

    @Parameters(paramLabel = "SESSION", description = "The session id.")
    String sessionId;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "10m",
            description = "How long to follow the session (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (AgentlogClient client = new AgentlogClient(bootstrap.value())) {
            SessionEvent end = client.watch(sessionId, timeout, event -> {
                out.println(EventLines.format(event));
                out.flush();
            });
            return ((SessionEnded) end.getEvent()).getStatus() == ResultStatus.COMPLETED ? 0 : 1;
        }
    }
}
