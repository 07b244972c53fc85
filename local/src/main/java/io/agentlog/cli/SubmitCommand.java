package io.agentlog.cli;

import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AvroJson;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.TaskSubmitted;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "submit",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Submits a task to an agent and prints the session id.",
            "With --wait, then prints the session's result as JSON and exits 0 when it completed, 1 otherwise;",
            "with --watch, prints each event of the session as it happens too."
        })
final class SubmitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions bootstrap;

    @Option(
            names = {"-a", "--agent"},
            required = true,
            paramLabel = "NAME",
            description = "The agent to run.")
    String agent;

    @Option(
            names = {"-i", "--input"},
            required = true,
            paramLabel = "TEXT",
            description = "The task for the agent; '-' reads it from standard input.")
    String input;

    @Option(names = "--agent-version", paramLabel = "N", description = "Pin this version (default: the newest).")
    Integer agentVersion;

    @Option(
            names = "--idempotency-key",
            paramLabel = "KEY",
            description = "Submitting the same key again names the same session instead of a new one.")
    String idempotencyKey;

    @Option(names = "--session-id", paramLabel = "ID", description = "Use this session id (default: a new UUID).")
    String sessionId;

    @Option(
            names = {"-w", "--wait"},
            description = "Wait for the result and print it as JSON.")
    boolean waitForResult;

    @Option(names = "--watch", description = "Print the session's events as they happen (implies --wait).")
    boolean watch;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "60s",
            description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws IOException {
        if (agentVersion != null && agentVersion < 1) {
            throw new IllegalArgumentException("--agent-version must be 1 or more, but was " + agentVersion);
        }
        String text = input.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip() : input;
        if (text.isBlank()) {
            throw new IllegalArgumentException("--input is empty: say what the agent should do");
        }
        TaskSubmitted.Builder task =
                AgentlogClient.task(agent, text).setAgentVersion(agentVersion).setIdempotencyKey(idempotencyKey);
        if (sessionId != null) {
            task.setSessionId(sessionId);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (AgentlogClient client = bootstrap.client()) {
            String id = client.submit(task.build());
            out.println(id);
            out.flush();
            if (!waitForResult && !watch) {
                return 0;
            }
            if (watch) {
                client.watch(id, timeout, event -> {
                    out.println(EventLines.format(event));
                    out.flush();
                });
            }
            SessionResult result = client.awaitResult(id, watch ? Duration.ofSeconds(30) : timeout);
            out.println(AvroJson.toPrettyJson(result));
            out.flush();
            return result.getStatus() == ResultStatus.COMPLETED ? 0 : 1;
        }
    }
}
