package io.agentlog.cli;

import io.agentlog.bench.BenchResult;
import io.agentlog.bench.RetentionAgent;
import io.agentlog.bench.RetentionBenchmark;
import io.agentlog.bench.RetentionResult;
import io.agentlog.bench.StepsBenchmark;
import io.agentlog.engine.EngineConfig;
import io.agentlog.local.EmbeddedStack;
import io.agentlog.local.LocalStack;
import io.agentlog.local.StackLayout;
import io.agentlog.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Benchmarks; each prints one JSON object on standard output.",
        subcommands = {
            BenchSuiteCommands.All.class,
            BenchSuiteCommands.Throughput.class,
            BenchSuiteCommands.Floors.class,
            BenchSuiteCommands.Latency.class,
            BenchSuiteCommands.Parked.class,
            BenchSuiteCommands.Recovery.class,
            BenchSuiteCommands.History.class,
            BenchCommand.Steps.class,
            BenchCommand.Retention.class
        })
final class BenchCommand implements Runnable {

    static final String RETENTION_ENV = "AGENTLOG_RETENTION_MS";
    static final String APPLICATION_ID_ENV = "AGENTLOG_APPLICATION_ID";

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(),
                "say which benchmark: all, throughput, floors, latency, parked, recovery, history, steps, retention");
    }

    @Command(
            name = "steps",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = {
                "Runs sessions of a scripted agent whose every turn calls the no-op tool, and measures steps/s, the "
                        + "per-step latency (model turn + tool call) and, in the same run, the raw transactional "
                        + "produce-to-read_committed-consume round trip as the floor.",
                "",
                "Runs against --bootstrap-servers if given, else the stack of 'agentlog up' if it is up, else a "
                        + "throwaway local stack (broker, engine, worker) that it starts and stops. "
                        + "See docs/benchmarks.md."
            })
    static final class Steps implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--sessions", paramLabel = "N", required = true, description = "Sessions measured.")
        int sessions;

        @Option(
                names = "--steps",
                paramLabel = "M",
                required = true,
                description = "Tool-calling model turns per session; each session ends with one more, text-only turn.")
        int steps;

        @Option(
                names = "--concurrency",
                paramLabel = "C",
                description = "Most sessions in flight at once (default: all of them).")
        Integer concurrency;

        @Option(
                names = "--timeout",
                paramLabel = "DURATION",
                defaultValue = "10m",
                description = "How long the sessions may take (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Option(
                names = {"-b", "--bootstrap-servers"},
                paramLabel = "HOST:PORT[,...]",
                description = "Kafka of a running stack (default: the 'agentlog up' stack, else a throwaway one).")
        String bootstrapServers;

        @Override
        public Integer call() throws Exception {
            PrintWriter err = spec.commandLine().getErr();
            String target = bootstrapServers;
            if (target == null) {
                var status = new LocalStack(StackLayout.fromEnv(System.getenv())).status();
                if (status.allRunning() && status.bootstrapServers().isPresent()) {
                    target = status.bootstrapServers().get();
                    err.printf("bench: using the running local stack on %s%n", target);
                }
            }
            StepsBenchmark.Options options = new StepsBenchmark.Options(
                    target == null ? "unused:9092" : target,
                    sessions,
                    steps,
                    concurrency == null ? sessions : concurrency,
                    timeout);
            if (target != null) {
                return print(new StepsBenchmark().run(options));
            }
            return print(onThrowawayStack(
                    err,
                    Map.of(),
                    stack -> new StepsBenchmark()
                            .run(new StepsBenchmark.Options(
                                    stack.bootstrapServers(),
                                    options.sessions(),
                                    options.steps(),
                                    options.concurrency(),
                                    options.timeout()))));
        }

        private Integer print(BenchResult result) {
            return printJson(spec, result.toJson());
        }
    }

    /** The engine's application id: {@code $AGENTLOG_APPLICATION_ID}, else the engine's default. */
    static String defaultApplicationId() {
        return System.getenv()
                .getOrDefault(
                        APPLICATION_ID_ENV,
                        EngineConfig.defaults("unused:9092", Path.of(".")).applicationId());
    }

    /** Prints a benchmark's one line of JSON on standard output; exit code 0. */
    static int printJson(CommandSpec spec, String json) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(json);
        out.flush();
        return 0;
    }

    /**
     * Starts a throwaway stack (broker, engine with these extra {@code AGENTLOG_*} settings, worker) in a temporary
     * directory, runs the benchmark on it, stops it (also on Ctrl-C) and deletes its data; the logs stay.
     */
    static <T> T onThrowawayStack(PrintWriter err, Map<String, String> engineEnv, Function<EmbeddedStack, T> benchmark)
            throws IOException {
        Path dir = Files.createTempDirectory("agentlog-bench-");
        err.printf("bench: starting a throwaway stack (logs in %s)%n", dir);
        err.flush();
        try (EmbeddedStack stack = EmbeddedStack.startBroker(dir, Topics.DEFAULT_POOLS, line -> {
            err.println("bench: " + line);
            err.flush();
        })) {
            stack.startEngineAndWorker(engineEnv);
            Thread closer = new Thread(stack::close, "agentlog-bench-stop");
            Runtime.getRuntime().addShutdownHook(closer);
            try {
                return benchmark.apply(stack);
            } finally {
                Runtime.getRuntime().removeShutdownHook(closer);
                stack.deleteData();
            }
        }
    }

    @Command(
            name = "retention",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = {
                "Runs sessions of a scripted agent that writes a small file and calls the no-op tool, measures the "
                        + "bytes the engine keeps for them (its changelog topics and agentlog.blobs on the brokers, "
                        + "read through for live keys, and its state dir when known), then waits until their "
                        + "retention has deleted them and the disk has returned, and proves that a task under a "
                        + "deleted session's id starts a fresh session.",
                "",
                "For the measurement it sets segment.ms, min.cleanable.dirty.ratio and delete.retention.ms low on "
                        + "those topics (and puts them back at the end), so that compaction shows within seconds.",
                "",
                "Runs against --bootstrap-servers if given (its engine's retention must be given with --retention), "
                        + "else a throwaway local stack whose engine runs with --retention. It does not use the "
                        + "'agentlog up' stack, whose retention is days. See docs/benchmarks.md."
            })
    static final class Retention implements Callable<Integer> {

        /** Sessions in flight by default: enough to keep two cores busy, few enough to keep latencies sane. */
        static final int DEFAULT_CONCURRENCY = 200;

        @Spec
        CommandSpec spec;

        @Option(names = "--sessions", paramLabel = "N", required = true, description = "Sessions run and measured.")
        int sessions;

        @Option(
                names = "--concurrency",
                paramLabel = "C",
                description = "Most sessions in flight at once (default: N, at most " + DEFAULT_CONCURRENCY + ").")
        Integer concurrency;

        @Option(
                names = "--file-bytes",
                paramLabel = "BYTES",
                defaultValue = "" + RetentionAgent.DEFAULT_FILE_BYTES,
                description = "Size of the file each session writes (default: ${DEFAULT-VALUE}; above the engine's "
                        + "AGENTLOG_INLINE_FILE_BYTES, 64 KiB by default, files go to agentlog.blobs).")
        int fileBytes;

        @Option(
                names = "--retention",
                paramLabel = "DURATION",
                defaultValue = "15m",
                description = "The engine's retention of ended sessions: the throwaway stack's engine runs with it "
                        + "(AGENTLOG_RETENTION_MS); with --bootstrap-servers, give that engine's. Longer than the "
                        + "run, or some sessions are deleted before they are measured (default: ${DEFAULT-VALUE}).")
        Duration retention;

        @Option(
                names = "--wait",
                paramLabel = "DURATION",
                defaultValue = "45m",
                description = "How long to wait, after all sessions ended, for their retention to delete them and "
                        + "the disk to return (default: ${DEFAULT-VALUE}).")
        Duration waitLimit;

        @Option(
                names = "--timeout",
                paramLabel = "DURATION",
                defaultValue = "1h",
                description = "How long the sessions may take (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Option(
                names = "--application-id",
                paramLabel = "ID",
                description = "The engine's Streams application id, which names its changelog topics "
                        + "(default: $AGENTLOG_APPLICATION_ID, else the local stack's).")
        String applicationId;

        @Option(
                names = "--state-dir",
                paramLabel = "DIR",
                description = "With --bootstrap-servers, that engine's state dir (AGENTLOG_STATE_DIR) on this machine, "
                        + "to report its size on disk (the throwaway stack's is always reported).")
        Path stateDir;

        @Option(
                names = {"-b", "--bootstrap-servers"},
                paramLabel = "HOST:PORT[,...]",
                description = "Kafka of a running stack (default: a throwaway one).")
        String bootstrapServers;

        @Override
        public Integer call() throws Exception {
            PrintWriter err = spec.commandLine().getErr();
            if (stateDir != null && bootstrapServers == null) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(),
                        "--state-dir goes with --bootstrap-servers: the throwaway stack's state dir is measured anyway");
            }
            String appId = applicationId != null ? applicationId : defaultApplicationId();
            RetentionBenchmark.Options options = options(
                    bootstrapServers == null ? "unused:9092" : bootstrapServers, appId, Optional.ofNullable(stateDir));
            RetentionBenchmark benchmark = new RetentionBenchmark(line -> {
                err.println("bench: " + line);
                err.flush();
            });
            if (bootstrapServers != null) {
                return print(benchmark.run(options));
            }
            Map<String, String> engineEnv = new HashMap<>();
            engineEnv.put(RETENTION_ENV, String.valueOf(retention.toMillis()));
            engineEnv.put(APPLICATION_ID_ENV, appId);
            return print(onThrowawayStack(
                    err,
                    engineEnv,
                    stack -> benchmark.run(
                            options(stack.bootstrapServers(), appId, Optional.of(stack.engineStateDir())))));
        }

        private RetentionBenchmark.Options options(String bootstrap, String appId, Optional<Path> dir) {
            return new RetentionBenchmark.Options(
                    bootstrap,
                    appId,
                    sessions,
                    concurrency == null ? Math.min(sessions, DEFAULT_CONCURRENCY) : concurrency,
                    fileBytes,
                    retention,
                    waitLimit,
                    timeout,
                    dir);
        }

        private Integer print(RetentionResult result) {
            return printJson(spec, result.toJson());
        }
    }
}
