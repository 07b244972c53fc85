package io.agentlog.cli;

import io.agentlog.bench.BenchResult;
import io.agentlog.bench.StepsBenchmark;
import io.agentlog.local.EmbeddedStack;
import io.agentlog.local.LocalStack;
import io.agentlog.local.StackLayout;
import io.agentlog.schemas.Topics;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Benchmarks; each prints one JSON object on standard output.",
        subcommands = {BenchCommand.Steps.class})
final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "say which benchmark: steps");
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
            Path dir = Files.createTempDirectory("agentlog-bench-");
            err.printf("bench: starting a throwaway stack (logs in %s)%n", dir);
            err.flush();
            try (EmbeddedStack stack = EmbeddedStack.startBroker(dir, Topics.DEFAULT_POOLS, line -> {
                err.println("bench: " + line);
                err.flush();
            })) {
                stack.startEngineAndWorker();
                Thread closer = new Thread(stack::close, "agentlog-bench-stop");
                Runtime.getRuntime().addShutdownHook(closer);
                try {
                    return print(new StepsBenchmark()
                            .run(new StepsBenchmark.Options(
                                    stack.bootstrapServers(),
                                    options.sessions(),
                                    options.steps(),
                                    options.concurrency(),
                                    options.timeout())));
                } finally {
                    Runtime.getRuntime().removeShutdownHook(closer);
                    stack.deleteData();
                }
            }
        }

        private Integer print(BenchResult result) {
            PrintWriter out = spec.commandLine().getOut();
            out.println(result.toJson());
            out.flush();
            return 0;
        }
    }
}
