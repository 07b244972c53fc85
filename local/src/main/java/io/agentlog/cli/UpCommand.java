package io.agentlog.cli;

import io.agentlog.local.Component;
import io.agentlog.local.Demo;
import io.agentlog.local.LocalStack;
import io.agentlog.local.StackLayout;
import io.agentlog.schemas.Env;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Starts a local stack that keeps running in the background.",
            "A Kafka broker on 127.0.0.1:9092, the topics, the engine (its HTTP API on 127.0.0.1:8088) and a worker",
            "(its Prometheus metrics on 127.0.0.1:9464), as background processes.",
            "Pid files and logs go to $AGENTLOG_HOME (default ~/.agentlog).",
            "With --otlp-endpoint (or OTEL_* variables) the engine and the worker export OpenTelemetry traces.",
            "Registers the demo agent too, so `agentlog submit --agent demo --input hi --wait` works at once.",
            "Stop it with `agentlog down`."
        })
final class UpCommand implements Callable<Integer> {

    private static final String WORKER_METRICS_PORT = "--worker-metrics-port";

    @Spec
    CommandSpec spec;

    @Option(
            names = "--port",
            defaultValue = "9092",
            description = "The broker's client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--controller-port",
            defaultValue = "9093",
            description = "The broker's KRaft controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(
            names = "--http-port",
            defaultValue = "8088",
            description = "The engine's HTTP API port (default: ${DEFAULT-VALUE}); see docs/api.md.")
    int httpPort;

    @Option(
            names = WORKER_METRICS_PORT,
            defaultValue = "9464",
            description =
                    "The port of the worker's Prometheus metrics, or 'off' (default: ${DEFAULT-VALUE}); the engine's"
                            + " are on its HTTP API. See docs/observability.md.")
    String workerMetricsPort;

    @Mixin
    PoolsOption pools;

    @Mixin
    OtlpOption otlp;

    @Option(names = "--no-demo-agent", negatable = false, description = "Do not register the demo agent.")
    boolean noDemoAgent;

    @Override
    public Integer call() {
        // a bad port is refused here, before anything starts
        new Env(Map.of(WORKER_METRICS_PORT, workerMetricsPort)).port(WORKER_METRICS_PORT, "off");
        LocalStack stack = new LocalStack(StackLayout.fromEnv(System.getenv()));
        PrintWriter out = spec.commandLine().getOut();
        boolean started = stack.up(
                new LocalStack.UpOptions(port, controllerPort, pools.value(), httpPort, workerMetricsPort, otlp.env()),
                noDemoAgent ? Optional.empty() : Optional.of(Demo.demoAgentText()),
                out);
        LocalStack.Status status = stack.status();
        if (!started) {
            out.printf(
                    "agentlog is already up on %s (broker pid %d, engine pid %d, worker pid %d)%n",
                    status.bootstrapServers().orElse("?"),
                    pid(status, Component.BROKER),
                    pid(status, Component.ENGINE),
                    pid(status, Component.WORKER));
        } else {
            out.printf(
                    "agentlog is up on %s, its HTTP API on http://127.0.0.1:%d. Try:%n"
                            + "  agentlog submit --agent demo --input 'hello' --wait%n"
                            + "  curl -s http://127.0.0.1:%d/sessions%n"
                            + "Stop it with: agentlog down%n",
                    status.bootstrapServers().orElse("?"), httpPort, httpPort);
        }
        out.flush();
        return 0;
    }

    static long pid(LocalStack.Status status, Component component) {
        return status.processes().get(component).map(ProcessHandle::pid).orElse(-1L);
    }
}
