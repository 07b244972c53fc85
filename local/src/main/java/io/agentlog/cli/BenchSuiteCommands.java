package io.agentlog.cli;

import io.agentlog.bench.BenchSuite;
import io.agentlog.bench.ScenarioReport;
import io.agentlog.bench.StackProvider;
import io.agentlog.bench.SuiteSizes;
import io.agentlog.local.BenchStacks;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code agentlog bench all} and its scenarios one by one ({@code throughput}, {@code floors}, {@code latency},
 * {@code parked}, {@code recovery}, {@code history}): see {@link BenchSuite} and docs/benchmarks.md.
 */
final class BenchSuiteCommands {

    private BenchSuiteCommands() {}

    /** The options every suite command takes. */
    static final class SuiteOptions {

        @Option(
                names = "--quick",
                description = "Smaller sizes, for a run of minutes: 1,000 sessions for throughput, 5,000 parked, "
                        + "500 live for recovery, fewer samples (the full sizes are the issue's targets').")
        boolean quick;

        @Option(
                names = {"-b", "--bootstrap-servers"},
                paramLabel = "HOST:PORT[,...]",
                description = "Kafka of a running stack to measure instead of a throwaway one per scenario (its "
                        + "processes are unknown then: no CPU, memory or request counts; recovery is skipped).")
        String bootstrapServers;

        @Option(
                names = "--results-dir",
                paramLabel = "DIR",
                defaultValue = "bench/results",
                description = "Where each run makes its directory <date-time>/ with one JSON file per scenario and "
                        + "summary.json (default: ${DEFAULT-VALUE}, under the current directory).")
        Path resultsDir;

        @Option(
                names = "--application-id",
                paramLabel = "ID",
                description = "The engine's Streams application id, which names its changelogs and its group "
                        + "(default: $AGENTLOG_APPLICATION_ID, else the engine's default).")
        String applicationId;

        String applicationId() {
            return applicationId != null ? applicationId : BenchCommand.defaultApplicationId();
        }

        BenchSuite.Run run(CommandSpec spec, List<String> scenarios, SuiteSizes sizes) {
            PrintWriter err = spec.commandLine().getErr();
            BenchSuite.Options options = new BenchSuite.Options(scenarios, sizes, quick, resultsDir, applicationId());
            StackProvider stacks = bootstrapServers != null
                    ? StackProvider.running(bootstrapServers)
                    : new BenchStacks(line -> progress(err, line));
            BenchSuite.Run run = new BenchSuite(stacks, line -> progress(err, line)).run(options);
            progress(err, "results in " + run.dir().toAbsolutePath());
            return run;
        }

        private static void progress(PrintWriter err, String line) {
            err.println("bench: " + line);
            err.flush();
        }
    }

    @Command(
            name = "all",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = {
                "Runs every benchmark scenario (" + "floors, latency, throughput, history, parked, recovery), each on "
                        + "a throwaway stack of its own unless --bootstrap-servers is given, writes one JSON file per "
                        + "scenario and summary.json under --results-dir/<date-time>/, and prints the summary.",
                "",
                "Each scenario reports the performance targets it speaks to next to the measured values; a missed "
                        + "target does not fail the run, a scenario that cannot finish does (exit 1, after the "
                        + "summary). The full sizes take long on a small machine; --quick takes minutes. "
                        + "See docs/benchmarks.md."
            })
    static final class All implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        SuiteOptions suite;

        @Override
        public Integer call() {
            BenchSuite.Run run = suite.run(spec, BenchSuite.SCENARIOS, SuiteSizes.of(suite.quick));
            BenchCommand.printJson(spec, run.summary().toJson());
            return run.summary().allSucceeded() ? CommandLine.ExitCode.OK : CommandLine.ExitCode.SOFTWARE;
        }
    }

    /** One scenario of the suite, named by its command, with the suite's options and a count of its own. */
    abstract static class One implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        SuiteOptions suite;

        @Option(
                names = "--sessions",
                paramLabel = "N",
                description = "The scenario's main count instead of its default (floors: samples per hop).")
        Integer sessions;

        /** The scenario is the command's name. */
        String scenario() {
            return spec.name();
        }

        @Override
        public Integer call() {
            SuiteSizes sizes = SuiteSizes.of(suite.quick);
            if (sessions != null) {
                sizes = sizes.withSessions(scenario(), sessions);
            }
            BenchSuite.Run run = suite.run(spec, List.of(scenario()), sizes);
            ScenarioReport report = run.reports().getFirst();
            BenchCommand.printJson(spec, report.toJson());
            return report.succeeded() ? CommandLine.ExitCode.OK : CommandLine.ExitCode.SOFTWARE;
        }
    }

    @Command(
            name = "throughput",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "N sessions of 5 noop-calling turns all in flight (10,000; --quick 1,000): steady steps/s "
                    + "between 10 %% and 90 %% of the steps, step latency p50/p99, CPU-ms and broker requests per step, "
                    + "idle CPU. See docs/benchmarks.md.")
    static final class Throughput extends One {}

    @Command(
            name = "floors",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Each hop alone, one at a time on an idle stack: the transactional round trip, the model "
                    + "and tools worker hops (no engine in the path), the engine's start and result hops. "
                    + "See docs/benchmarks.md.")
    static final class Floors extends One {}

    @Command(
            name = "latency",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "1-step sessions one at a time next to the sum of the hop floors they take, measured in the "
                    + "same run. See docs/benchmarks.md.")
    static final class Latency extends One {}

    @Command(
            name = "parked",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "N sessions parked on a tool call no worker serves (100,000; --quick 5,000): the engine's "
                    + "heap after a full GC, its RSS, state dir and changelog bytes, per session. "
                    + "See docs/benchmarks.md.")
    static final class Parked extends One {}

    @Command(
            name = "recovery",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Two engines with standbys, N live sessions (10,000; --quick 500): up to 500 keep stepping, "
                    + "the others park on a call; kill -9 one engine and time each of its stepping sessions' next "
                    + "step. Needs a throwaway stack. See docs/benchmarks.md.")
    static final class Recovery extends One {}

    @Command(
            name = "history",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "A few sessions of 200 tool-calling turns: the engine's CPU per step (and the step latency) "
                    + "in the first turns against the last. See docs/benchmarks.md.")
    static final class History extends One {}
}
