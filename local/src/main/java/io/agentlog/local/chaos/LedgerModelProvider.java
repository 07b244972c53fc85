package io.agentlog.local.chaos;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.Role;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.model.ModelProvider;
import io.agentlog.worker.model.ModelResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Wraps the scripted model and records every call it executes as one ledger line
 * {@code <sessionId> <turn> <workerPid> <startEpochMs>}, before the call runs, so a call that a SIGKILL cuts short is
 * still counted. A {@code ModelCall} carries no session id: the chaos agent's task input is the session id, and it is
 * the conversation's first user message. The call then takes a random {@value #MIN_DELAY_MS}-{@value #MAX_DELAY_MS}
 * ms, like a (very fast) real model, so kills land while calls run.
 */
final class LedgerModelProvider implements ModelProvider {

    static final int MIN_DELAY_MS = 20;
    static final int MAX_DELAY_MS = 150;

    private final ModelProvider delegate;
    private final Path ledger;
    private final long pid = ProcessHandle.current().pid();

    LedgerModelProvider(ModelProvider delegate, Path ledger) {
        this.delegate = delegate;
        this.ledger = ledger;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public ModelResult complete(ModelCall call) {
        String sessionId = call.getMessages().stream()
                .filter(m -> m.getRole() == Role.USER)
                .map(Message::getContent)
                .findFirst()
                .orElse("?");
        String line = sessionId.strip() + " " + call.getTurn() + " " + pid + " " + System.currentTimeMillis() + "\n";
        try {
            Files.write(
                    ledger,
                    line.getBytes(StandardCharsets.UTF_8),
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
        return delegate.complete(call);
    }
}
