package io.agentlog.cli;

import io.agentlog.local.Component;
import io.agentlog.local.LocalStack;
import io.agentlog.local.StackLayout;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Shows whether the local stack of `agentlog up` runs: each process, its pid, uptime and log. "
                + "Exits 0 when all run, 1 otherwise.")
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        LocalStack stack = new LocalStack(StackLayout.fromEnv(System.getenv()));
        LocalStack.Status status = stack.status();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("agentlog home: %s%n", stack.layout().home());
        status.bootstrapServers()
                .ifPresent(b -> out.printf("Kafka: %s, worker pools: %s%n", b, String.join(",", status.pools())));
        for (Component component : Component.values()) {
            Optional<ProcessHandle> process = status.processes().get(component);
            out.printf(
                    "%-7s %-8s %-12s %-10s %s%n",
                    component.id(),
                    process.isPresent() ? "running" : "stopped",
                    process.map(p -> "pid " + p.pid()).orElse(""),
                    process.flatMap(StatusCommand::uptime).orElse(""),
                    stack.layout().logFile(component));
        }
        out.flush();
        return status.allRunning() ? 0 : 1;
    }

    private static Optional<String> uptime(ProcessHandle process) {
        return process.info().startInstant().map(start -> format(Duration.between(start, Instant.now())));
    }

    private static String format(Duration d) {
        if (d.toHours() > 0) {
            return "up " + d.toHours() + "h" + d.toMinutesPart() + "m";
        }
        if (d.toMinutes() > 0) {
            return "up " + d.toMinutes() + "m" + d.toSecondsPart() + "s";
        }
        return "up " + d.toSeconds() + "s";
    }
}
