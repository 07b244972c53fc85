package io.agentlog.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.HumanAsked;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Commands that send one control event for a running session (topic agentlog.control). */
final class SessionControlCommands {

    private SessionControlCommands() {}

    @Command(
            name = "cancel",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Cancels a session: it ends as CANCELLED and its pending work is dropped (running calls are"
                    + " stopped where the workers can). A session that has ended or is unknown is refused (exit 2).")
    static final class Cancel implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

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
            try (AgentlogClient client = bootstrap.client()) {
                requireRunning(spec, client, sessionId, "cancel");
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
            description = "Adds a user message to a running session; its next model turn sees it. A session that has"
                    + " ended or is unknown is refused (exit 2).")
    static final class Steer implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

        @Parameters(index = "0", paramLabel = "SESSION", description = "The session id.")
        String sessionId;

        @Parameters(index = "1", paramLabel = "MESSAGE", description = "The message for the agent.")
        String message;

        @Override
        public Integer call() {
            try (AgentlogClient client = bootstrap.client()) {
                requireRunning(spec, client, sessionId, "steer");
                client.steer(sessionId, message);
            }
            spec.commandLine().getOut().println("Sent a message to session " + sessionId);
            return 0;
        }
    }

    /**
     * Refuses (exit 2, nothing sent) a command for a session that has no events or has ended: the engine would only
     * dead-letter it. A session that ends between this look and the command is the engine's to refuse.
     */
    static void requireRunning(CommandSpec spec, AgentlogClient client, String sessionId, String what) {
        List<SessionEvent> journal = client.journal(sessionId);
        if (journal.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "session " + sessionId + " has no events (unknown, not started yet, or past its retention);"
                            + " nothing to " + what);
        }
        if (journal.getLast().getEvent() instanceof SessionEnded ended) {
            throw new ParameterException(
                    spec.commandLine(),
                    "session " + sessionId + " already ended " + ended.getStatus() + "; nothing to " + what);
        }
    }

    private static boolean isJsonObject(String text) {
        try {
            return new ObjectMapper().readTree(text) instanceof ObjectNode;
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /** SESSION [CALL_ID] of approve and deny. */
    static final class WaitingCallArgs {
        @Parameters(index = "0", paramLabel = "SESSION", description = "The session id.")
        String sessionId;

        @Parameters(
                index = "1",
                arity = "0..1",
                paramLabel = "CALL_ID",
                description = "The tool call; may be left out when exactly one call waits.")
        String callId;
    }

    /** The one call the user means: the named one, or the only one waiting; a clear error otherwise. */
    static <T> T pick(
            CommandSpec spec,
            List<T> waiting,
            Function<T, String> idOf,
            Function<T, String> describe,
            String session,
            String waitingFor,
            String callId) {
        String listing = waiting.stream()
                .map(w -> idOf.apply(w) + " (" + describe.apply(w) + ")")
                .collect(Collectors.joining(", "));
        if (waiting.isEmpty()) {
            throw new ParameterException(spec.commandLine(), session + " has no tool call " + waitingFor);
        }
        if (callId == null) {
            if (waiting.size() > 1) {
                throw new ParameterException(
                        spec.commandLine(),
                        waiting.size() + " tool calls of " + session + " are " + waitingFor + "; name one: " + listing);
            }
            return waiting.getFirst();
        }
        return waiting.stream()
                .filter(w -> idOf.apply(w).equals(callId))
                .findFirst()
                .orElseThrow(() -> new ParameterException(
                        spec.commandLine(),
                        "tool call " + callId + " of " + session + " is not " + waitingFor + "; these are: "
                                + listing));
    }

    static ApprovalRequested waitingCall(CommandSpec spec, AgentlogClient client, String sessionId, String callId) {
        return pick(
                spec,
                client.awaitingApproval(sessionId),
                ApprovalRequested::getToolCallId,
                w -> w.getTool() + " " + EventLines.abbreviate(w.getArguments()),
                "session " + sessionId,
                "awaiting approval",
                callId);
    }

    @Command(
            name = "approve",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Approves a tool call that waits for approval (a tool with requiresApproval): it runs, with"
                    + " --args instead of the model's arguments if given.")
    static final class Approve implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

        @Mixin
        WaitingCallArgs target;

        @Option(
                names = "--args",
                paramLabel = "JSON",
                description = "Edited arguments (a JSON object) the call runs with instead of the model's.")
        String arguments;

        @Override
        public Integer call() {
            if (arguments != null && !isJsonObject(arguments)) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--args must be a JSON object, like {\"path\":\"a.txt\"}, but was " + arguments);
            }
            try (AgentlogClient client = bootstrap.client()) {
                ApprovalRequested call = waitingCall(spec, client, target.sessionId, target.callId);
                client.approve(target.sessionId, call.getToolCallId(), arguments);
                spec.commandLine()
                        .getOut()
                        .println("Approved call " + call.getToolCallId() + " (" + call.getTool() + ") of session "
                                + target.sessionId + (arguments == null ? "" : " with edited arguments"));
            }
            return 0;
        }
    }

    @Command(
            name = "deny",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Denies a tool call that waits for approval: it does not run, and the model sees the"
                    + " message as its result.")
    static final class Deny implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

        @Mixin
        WaitingCallArgs target;

        @Option(
                names = "--message",
                paramLabel = "TEXT",
                defaultValue = "denied from the command line",
                description = "Why, for the model (default: ${DEFAULT-VALUE}).")
        String message;

        @Override
        public Integer call() {
            try (AgentlogClient client = bootstrap.client()) {
                ApprovalRequested call = waitingCall(spec, client, target.sessionId, target.callId);
                client.deny(target.sessionId, call.getToolCallId(), message);
                spec.commandLine()
                        .getOut()
                        .println("Denied call " + call.getToolCallId() + " (" + call.getTool() + ") of session "
                                + target.sessionId);
            }
            return 0;
        }
    }

    @Command(
            name = "answer",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Answers a question the agent asked (its ask_human tool): the text is the call's result.")
    static final class Answer implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

        @Parameters(index = "0", paramLabel = "SESSION", description = "The session id.")
        String sessionId;

        @Parameters(index = "1", paramLabel = "TEXT", description = "The answer.")
        String text;

        @Option(
                names = "--call",
                paramLabel = "CALL_ID",
                description = "The ask_human call; may be left out when exactly one question waits.")
        String callId;

        @Override
        public Integer call() {
            try (AgentlogClient client = bootstrap.client()) {
                List<HumanAsked> waiting = client.awaitingAnswer(sessionId);
                HumanAsked question = pick(
                        spec,
                        waiting,
                        HumanAsked::getToolCallId,
                        q -> EventLines.quote(q.getQuestion()),
                        "session " + sessionId,
                        "waiting for an answer",
                        callId);
                client.answer(sessionId, question.getToolCallId(), text);
                spec.commandLine()
                        .getOut()
                        .println("Answered question " + question.getToolCallId() + " of session " + sessionId);
            }
            return 0;
        }
    }
}
