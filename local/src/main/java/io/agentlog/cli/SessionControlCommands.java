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

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "cancelled from the command line",
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

    @Command(
            name = "approve",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Approves a tool call that waits for approval.")
    static final class Approve implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        BootstrapOption bootstrap;

        @Parameters(index = "0", paramLabel = "SESSION", description = "The session id.")
        String sessionId;

        @Parameters(index = "1", paramLabel = "TOOL_CALL_ID", description = "The tool call to approve.")
        String toolCallId;

        @Override
        public Integer call() {
            try (AgentlogClient client = new AgentlogClient(bootstrap.value())) {
                client.approve(sessionId, toolCallId);
            }
            spec.commandLine().getOut().println("Approved " + toolCallId + " of session " + sessionId);
            return 0;
        }
    }

    @Command(
            name = "deny",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Denies a tool call that waits for approval; the model is told why.")
    static final class Deny implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        BootstrapOption bootstrap;

        @Parameters(index = "0", paramLabel = "SESSION", description = "The session id.")
        String sessionId;

        @Parameters(index = "1", paramLabel = "TOOL_CALL_ID", description = "The tool call to deny.")
        String toolCallId;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "denied from the command line",
                description = "Why (default: ${DEFAULT-VALUE}).")
        String reason;

        @Override
        public Integer call() {
            try (AgentlogClient client = new AgentlogClient(bootstrap.value())) {
                client.deny(sessionId, toolCallId, reason);
            }
            spec.commandLine().getOut().println("Denied " + toolCallId + " of session " + sessionId);
            return 0;
        }
    }
}
