package io.agentlog.local.chaos;

import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolOutputs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The chaos test's side effect: an at-most-once tool that appends one line, the call's idempotency key, to a ledger
 * file shared by every worker process (one small {@code O_APPEND} write per call, so lines of concurrent writers never
 * interleave). A key found on two lines is a side effect that happened twice. It waits a random 0-{@value #MAX_DELAY_MS}
 * ms first, so a SIGKILL can land while calls run.
 */
final class LedgerAppendTool implements Tool {

    static final String NAME = "ledger_append";
    static final int MAX_DELAY_MS = 150;

    private final Path ledger;

    LedgerAppendTool(Path ledger) {
        this.ledger = ledger;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ToolOutput run(ToolInvocation invocation, WorkContext context) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(MAX_DELAY_MS + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TerminalWorkException("ledger_append was interrupted before it wrote; nothing was appended");
        }
        byte[] line = (context.idempotencyKey() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            Files.write(ledger, line, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new TerminalWorkException("cannot append to the ledger " + ledger + ": " + e.getMessage());
        }
        return ToolOutputs.ok("appended " + context.idempotencyKey());
    }
}
