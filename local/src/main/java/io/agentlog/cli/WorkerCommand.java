package io.agentlog.cli;

import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Runs a worker in the foreground until SIGTERM or Ctrl-C.",
            "It serves the given pools (model calls and worker-side tools) through share groups.",
            "Start more workers for more throughput.",
            "Configured by AGENTLOG_* environment variables and, for traces, the standard OTEL_* ones; the options",
            "below override them."
        })
final class WorkerCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions bootstrap;

    @Mixin
    PoolsOption pools;

    @Mixin
    OtlpOption otlp;

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(otlp.env());
        bootstrap.exportTo(env);
        env.put(WorkerConfig.POOLS, String.join(",", pools.value()));
        return Worker.start(WorkerConfig.fromEnv(env)).serveUntilShutdown();
    }
}
