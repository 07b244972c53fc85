package io.agentlog.cli;

import io.agentlog.client.AgentlogClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Commands that send one control event for a running session (topic agentlog.control). */
final class SessionControlCommands {

    private SessionControlCommands() {}

    @Command(
            name = "cancel",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Cancels a session: it ends as CANCELLED and its pending work is dropped.")
    static final class Cancel implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        BootstrapOption bootstrap;

        @Parameters(paramLabel = "SESSION", description = "The session id.")
        String sessionId;

        @Option(
                names = "--reason",
                paramLabel = "TEXT",
                defaultValue = "cancelled from the command line",
                description = "Why (default: ${DEFAULT-VALUE}).")
        String reason;

        @Override
        public Integer call() {
            try (AgentlogClient client = new AgentlogClient(bootstrap.value())) {
                client.cancel(sessionId, reason);
            }
            spec.commandLine().getOut().println("Asked session " + sessionId + " to cancel");
            return 0;
        }
    }

    @Command(
            name = "steer",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Adds a user message to a running session; its next model turn sees it.")
    static final class Steer implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        BootstrapOption bootstrap;

        @Parameters(index = "0", paramLabel = "SESSION", description = "The session id.")
        String sessionId;

        @Parameters(index = "1", paramLabel = "MESSAGE", description = "The message for the agent.")
        String message;

        @Override
        public Integer call() {
            try (AgentlogClient client = new AgentlogClient(bootstrap.value())) {
                client.steer(sessionId, message);
            }
            spec.commandLine().getOut().println("Sent a message to session " + sessionId);
            return 0;
        }
    }
}
