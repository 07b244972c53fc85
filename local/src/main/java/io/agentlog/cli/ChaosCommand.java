package io.agentlog.cli;

import io.agentlog.local.chaos.ChaosOptions;
import io.agentlog.local.chaos.ChaosReport;
import io.agentlog.local.chaos.ChaosRun;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
        name = "chaos",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Crash test: starts a throwaway stack as separate processes (a broker, or with --brokers 3 a 3-broker "
                    + "cluster; 2 engines, 3 workers), runs N sessions of a scripted agent (model turns with parallel "
                    + "tool calls, one tool at-most-once with a side-effect ledger) and SIGKILLs a random engine, "
                    + "worker or broker K times while they run, restarting each 1-3 s later.",
            "Prints one JSON object: sessions, completed, lost, duplicate results, event gaps and duplicates, "
                    + "repeated model calls and their bound, at-most-once executions beyond one per key, recovery "
                    + "time after the kills. Exits 1 if any guarantee is broken. See docs/guarantees.md."
        })
final class ChaosCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--sessions", paramLabel = "N", required = true, description = "Sessions to run.")
    int sessions;

    @Option(
            names = "--kills",
            paramLabel = "K",
            required = true,
            description = "SIGKILLs of an engine, a worker or (with --brokers 3) a broker.")
    int kills;

    @Option(
            names = "--brokers",
            paramLabel = "B",
            defaultValue = "1",
            description = "1 (default): one broker, never killed. 3: a KRaft cluster (replication factor 3, min "
                    + "in-sync replicas 2) whose brokers are killed too, one at a time: a broker is killed only when "
                    + "the others are up and every replica is in sync.")
    int brokers;

    @Option(names = "--seed", paramLabel = "S", description = "Seeds kill times and targets (default: the clock).")
    Long seed;

    @Option(
            names = "--window",
            paramLabel = "DURATION",
            description = "How long submitting takes; the kills fall within it (default: 6 s per kill, at least 10 s).")
    Duration window;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "5m",
            description = "How long to wait for the results after the window (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(
            names = "--max-recovery",
            paramLabel = "DURATION",
            defaultValue = "30s",
            description = "Recovery after a kill slower than this fails the run (default: ${DEFAULT-VALUE}).")
    Duration maxRecovery;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Where the stack keeps data, logs and ledgers (default: a new temporary directory).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (sessions < 1) {
            throw new ParameterException(spec.commandLine(), "--sessions must be at least 1, but was " + sessions);
        }
        if (kills < 0) {
            throw new ParameterException(spec.commandLine(), "--kills must not be negative, but was " + kills);
        }
        if (brokers != 1 && brokers != ChaosOptions.CLUSTER_BROKERS) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--brokers must be 1 or " + ChaosOptions.CLUSTER_BROKERS + ", but was " + brokers);
        }
        PrintWriter err = spec.commandLine().getErr();
        long actualSeed = seed != null ? seed : System.currentTimeMillis();
        Path actualDir = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("agentlog-chaos-");
        ChaosOptions options = new ChaosOptions(
                sessions,
                kills,
                actualSeed,
                actualDir,
                window != null ? window : ChaosOptions.defaultWindow(kills),
                timeout,
                maxRecovery,
                ChaosOptions.DEFAULT_RESUBMIT_EVERY,
                brokers);
        err.printf("chaos: seed %d, logs and ledgers in %s%n", actualSeed, actualDir);
        err.flush();
        ChaosReport report = ChaosRun.run(options, line -> {
            err.println("chaos: " + line);
            err.flush();
        });
        PrintWriter out = spec.commandLine().getOut();
        out.println(report.toJson());
        out.flush();
        report.broken().forEach(line -> err.println("chaos: guarantee broken: " + line));
        err.flush();
        return report.ok() ? 0 : 1;
    }
}
