package io.agentlog.cli;

import io.agentlog.client.AgentlogClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "fork",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Starts a new session from another session's journal up to an event (see `agentlog history SESSION` for"
                    + " the seq numbers) and prints its id. The new session's history and workspace are those of"
                    + " the source at that event: nothing before it runs again and no model call is repeated. Work"
                    + " that was in flight at that event (a model turn or tool call without its answer) is requested"
                    + " again; approvals and questions still open wait again in the fork.",
            "",
            "The source may be running or ended (a fork of an ended session goes on from the chosen event); the fork"
                    + " keeps its definition version and budgets (its wall time starts now), and has no parent."
        })
final class ForkCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions bootstrap;

    @Parameters(paramLabel = "SESSION", description = "The session to fork.")
    String sessionId;

    @Option(
            names = "--at",
            paramLabel = "SEQ",
            required = true,
            description = "The last event of the source the fork keeps (its seq, from 0).")
    long atSeq;

    @Option(
            names = "--message",
            paramLabel = "TEXT",
            description = "A user message the fork's next model turn sees (for example a different instruction).")
    String message;

    @Override
    public Integer call() {
        try (AgentlogClient client = bootstrap.client()) {
            spec.commandLine().getOut().println(client.fork(sessionId, atSeq, message));
        }
        return 0;
    }
}
