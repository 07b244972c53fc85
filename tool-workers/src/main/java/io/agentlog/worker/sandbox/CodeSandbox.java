package io.agentlog.worker.sandbox;

import io.agentlog.schemas.avro.FileChange;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A sandbox tier: runs untrusted code with limits and reports what it did. Thread-safe. */
public interface CodeSandbox extends AutoCloseable {

    /** {@code bubblewrap} or {@code graaljs}. */
    String tier();

    SandboxLimits limits();

    /** Why this tier cannot run code here, or empty when it can (may run a self-check the first time). */
    Optional<String> unavailableReason();

    /**
     * Runs {@code code} for at most {@code timeout} (never longer than the configured wall-clock limit).
     *
     * @throws SandboxUnavailableException when the tier cannot run code here; nothing was run
     * @throws IllegalArgumentException when the language is not this tier's or a file path is not a relative
     *     workspace path
     */
    SandboxResult run(Language language, String code, List<FileChange> files, Duration timeout);

    @Override
    void close();
}
