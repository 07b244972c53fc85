package io.agentlog.cli;

import io.agentlog.engine.Engine;
import io.agentlog.engine.EngineConfig;
import io.agentlog.engine.http.HttpApiConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "engine",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Runs the session engine in the foreground until SIGTERM or Ctrl-C.",
            "Start more engines for more throughput.",
            "Configured by AGENTLOG_* environment variables (AGENTLOG_BOOTSTRAP_SERVERS, AGENTLOG_STATE_DIR, ...)",
            "and, for traces, the standard OTEL_* ones; the options below override them."
        })
final class EngineCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions bootstrap;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            description = "Where the engine keeps its RocksDB state (default: $AGENTLOG_STATE_DIR).")
    Path stateDir;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            description = "The HTTP API's port, 0 for a free one, 'off' for none (default: $AGENTLOG_HTTP_PORT, else"
                    + " 8088; see docs/api.md).")
    String httpPort;

    @Mixin
    OtlpOption otlp;

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(otlp.env());
        bootstrap.exportTo(env);
        if (stateDir != null) {
            env.put("AGENTLOG_STATE_DIR", stateDir.toString());
        }
        if (httpPort != null) {
            env.put(HttpApiConfig.PORT_ENV, httpPort);
        }
        Engine engine = Engine.start(EngineConfig.fromEnv(env), HttpApiConfig.fromEnv(env));
        return ServerRun.untilShutdown("engine", engine);
    }
}
