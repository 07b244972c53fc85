package io.agentlog.cli;

import io.agentlog.local.LocalStack;
import io.agentlog.local.StackLayout;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "down",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Stops the local stack started by `agentlog up`: SIGTERM to the worker, the engine and the "
                + "broker, SIGKILL to any that has not stopped after the grace period. Data and logs are kept.")
final class DownCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--grace",
            paramLabel = "DURATION",
            defaultValue = "30s",
            description = "How long each process may take to stop before it is killed (default: ${DEFAULT-VALUE}).")
    Duration grace;

    @Override
    public Integer call() {
        LocalStack stack = new LocalStack(StackLayout.fromEnv(System.getenv()));
        PrintWriter out = spec.commandLine().getOut();
        if (stack.status().noneRunning()) {
            out.println("agentlog is not running (nothing to stop in "
                    + stack.layout().home() + ")");
            stack.down(grace); // clears stale pid files
            out.flush();
            return 0;
        }
        List<String> lines = stack.down(grace);
        lines.forEach(out::println);
        out.flush();
        return 0;
    }
}
