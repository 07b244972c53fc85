package io.agentlog.local.chaos;

import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.model.ModelProvider;
import io.agentlog.worker.model.ModelResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Wraps the scripted model and records every call it executes as one ledger line, before the call runs (so a call
 * that a SIGKILL cuts short is still counted):
 *
 * <pre>{@code <sessionId> <workId> <turn> <deliveryCount> <workerPid> <startEpochMs> <checked>}</pre>
 *
 * where {@code checked} is {@code <partition>:<endOffset>} when the worker looked for a result of an earlier delivery
 * before calling (a delivery count above 1, or a first delivery from a partition that changed leaders since the record
 * was written): how far it read {@code agentlog.work.results} and found none; else {@code -} (no reason to look, or the
 * lookup failed). {@link ChaosVerifier} compares it with the results actually committed. The call then takes a random
 * {@value #MIN_DELAY_MS}-{@value #MAX_DELAY_MS} ms, like a (very fast) real model, so kills land while calls run.
 */
final class LedgerModelProvider implements ModelProvider {

    static final int MIN_DELAY_MS = 20;
    static final int MAX_DELAY_MS = 150;
    static final String UNCHECKED = "-";

    private final ModelProvider delegate;
    private final Path ledger;
    private final long pid = ProcessHandle.current().pid();

    LedgerModelProvider(ModelProvider delegate, Path ledger) {
        this.delegate = delegate;
        this.ledger = ledger;
    }

    /** One line of the ledger. */
    record Line(
            String sessionId,
            String workId,
            int turn,
            int deliveryCount,
            long pid,
            long startMs,
            java.util.Optional<WorkContext.ResultCheck> checked) {

        String format() {
            return sessionId + " " + workId + " " + turn + " " + deliveryCount + " " + pid + " " + startMs + " "
                    + checked.map(c -> c.partition() + ":" + c.endOffset()).orElse(UNCHECKED);
        }

        static Line parse(String text) {
            String[] parts = text.split(" ");
            if (parts.length != 7) {
                throw new IllegalStateException("malformed model ledger line '" + text + "': expected 7 fields");
            }
            java.util.Optional<WorkContext.ResultCheck> checked = java.util.Optional.empty();
            if (!parts[6].equals(UNCHECKED)) {
                String[] at = parts[6].split(":");
                checked = java.util.Optional.of(
                        new WorkContext.ResultCheck(Integer.parseInt(at[0]), Long.parseLong(at[1])));
            }
            return new Line(
                    parts[0],
                    parts[1],
                    Integer.parseInt(parts[2]),
                    Integer.parseInt(parts[3]),
                    Long.parseLong(parts[4]),
                    Long.parseLong(parts[5]),
                    checked);
        }
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public ModelResult complete(ModelCall call, WorkContext context) {
        Line line = new Line(
                context.sessionId(),
                context.workId(),
                call.getTurn(),
                context.deliveryCount(),
                pid,
                System.currentTimeMillis(),
                context.resultCheck());
        try {
            Files.write(
                    ledger,
                    (line.format() + "\n").getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new TerminalWorkException("cannot append to the model ledger " + ledger + ": " + e.getMessage());
        }
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(MIN_DELAY_MS, MAX_DELAY_MS + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return delegate.complete(call, context);
    }
}
