package io.agentlog.cli;

import io.agentlog.local.Demo;
import io.agentlog.schemas.avro.SessionResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Runs one task on a throwaway local stack and shows the session as it happens.",
            "Starts a Kafka broker on a free port, the topics, the engine and a worker in child processes, registers",
            "the demo agent (a scripted model using the workspace tools), then stops everything. Offline; no setup.",
            "Exits 0 when the session completed."
        })
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--agent-file",
            paramLabel = "FILE",
            description = "Run this agent definition (YAML or JSON) instead of the built-in demo agent.")
    Path agentFile;

    @Option(
            names = "--input",
            paramLabel = "TEXT",
            description = "The task (default: ${DEFAULT-VALUE}).",
            defaultValue = Demo.DEFAULT_INPUT)
    String input;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "120s",
            description = "How long the session may run (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(
            names = "--keep-data",
            description = "Keep the broker's data and the engine's state (logs are always kept).")
    boolean keepData;

    @Override
    public Integer call() throws Exception {
        SessionResult result = new Demo(spec.commandLine().getOut()).run(agentFile, input, timeout, keepData);
        return Demo.succeeded(result) ? 0 : 1;
    }
}
