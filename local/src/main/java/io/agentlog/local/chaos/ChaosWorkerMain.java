package io.agentlog.local.chaos;

import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.model.ScriptedModelProvider;
import io.agentlog.worker.tool.ToolRegistry;
import java.nio.file.Path;

/**
 * A worker process of the chaos stack: the usual worker (configured by {@code AGENTLOG_*} variables) whose scripted
 * model records every call in {@value #MODEL_LEDGER_ENV}, with the at-most-once tool {@code ledger_append} writing
 * to {@value #TOOL_LEDGER_ENV}. Only the chaos runner starts it; production workers never carry these.
 */
public final class ChaosWorkerMain {

    public static final String TOOL_LEDGER_ENV = "AGENTLOG_CHAOS_LEDGER";
    public static final String MODEL_LEDGER_ENV = "AGENTLOG_CHAOS_MODEL_LEDGER";

    private ChaosWorkerMain() {}

    public static void main(String[] args) throws InterruptedException {
        System.setProperty("agentlog.log.level", System.getenv().getOrDefault("AGENTLOG_LOG_LEVEL", "INFO"));
        System.setProperty(
                "agentlog.kafka.log.level", System.getenv().getOrDefault("AGENTLOG_KAFKA_LOG_LEVEL", "WARN"));
        WorkerConfig config = WorkerConfig.fromEnv(System.getenv());
        Path toolLedger = Path.of(required(TOOL_LEDGER_ENV));
        Path modelLedger = Path.of(required(MODEL_LEDGER_ENV));
        Worker worker = Worker.start(
                config,
                ToolRegistry.builtins(config).with(new LedgerAppendTool(toolLedger)),
                ModelProviders.of(new LedgerModelProvider(new ScriptedModelProvider(), modelLedger)));
        int code = worker.serveUntilShutdown();
        if (code != 0) {
            System.exit(code);
        }
    }

    private static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is not set: the chaos worker needs a ledger file path there");
        }
        return value;
    }
}
