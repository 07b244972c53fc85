package io.agentlog.cli;

import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.StreamChunk;
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
        description = {
            "Prints a session's events, from its start, until it ends; exits 0 when it completed.",
            "A model's answer shows as it is written, on a line starting with '~', before its event."
        })
final class WatchCommand implements Callable<Integer> {

    /** A model answer as it is written: one line per attempt of a call, ended by the next event. */
    static final class TokenLine {
        private final PrintWriter out;
        private String current;

        TokenLine(PrintWriter out) {
            this.out = out;
        }

        void add(StreamChunk chunk) {
            String attempt = chunk.workId() + "/" + chunk.attempt();
            if (!attempt.equals(current)) {
                end();
                out.print("~ ");
                current = attempt;
            }
            out.print(chunk.text().replace("\n", "\n  "));
            out.flush();
        }

        void end() {
            if (current != null) {
                out.println();
                current = null;
            }
        }
    }

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions bootstrap;

    @Parameters(paramLabel = "SESSION", description = "The session id.")
    String sessionId;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "10m",
            description = "How long to follow the session (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(
            names = "--no-tokens",
            negatable = false,
            description = "Do not show model answers as they are written, only the events.")
    boolean noTokens;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        TokenLine tokens = new TokenLine(out);
        try (AgentlogClient client = bootstrap.client()) {
            SessionEvent end = client.watch(
                    sessionId,
                    timeout,
                    event -> {
                        tokens.end();
                        out.println(EventLines.format(event));
                        out.flush();
                    },
                    noTokens ? null : tokens::add);
            return ((SessionEnded) end.getEvent()).getStatus() == ResultStatus.COMPLETED ? 0 : 1;
        }
    }
}
