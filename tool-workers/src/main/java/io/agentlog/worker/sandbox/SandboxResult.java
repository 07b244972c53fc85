package io.agentlog.worker.sandbox;

import io.agentlog.schemas.avro.FileChange;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one sandboxed execution did.
 *
 * @param tier {@code bubblewrap} or {@code graaljs}
 * @param exitCode the program's exit code; 128 + signal when a signal ended it; -1 when it was stopped by a limit
 *     before it exited
 * @param stdout standard output (JavaScript: what {@code console.log} printed), at most the output limit
 * @param stderr standard error, at most the output limit
 * @param value JavaScript only: the value of the last expression, as text
 * @param fileChanges files created or changed (with content) or deleted (content null) in the workspace
 * @param durationMs wall-clock time of the execution
 * @param cpuMs CPU time of the program and the children it waited for, when measurable
 * @param maxRssKiB the largest resident set of the program or a waited-for child, when measurable
 * @param limitHit the limit that stopped or cut the execution: {@code wall_clock}, {@code cpu}, {@code memory},
 *     {@code file_size}, {@code output}, {@code workspace_size}, {@code statements}, {@code processes}
 * @param memoryLimit how memory was limited: for all processes of the execution together (a cgroup, the child JVM's
 *     heap) or, where the host offers the sandbox no memory cgroup, per process only ({@link MemoryLimit#PER_PROCESS})
 */
public record SandboxResult(
        String tier,
        int exitCode,
        String stdout,
        String stderr,
        Optional<String> value,
        List<FileChange> fileChanges,
        long durationMs,
        OptionalLong cpuMs,
        OptionalLong maxRssKiB,
        Optional<String> limitHit,
        MemoryLimit memoryLimit) {

    public static final String WALL_CLOCK = "wall_clock";
    public static final String CPU = "cpu";
    public static final String MEMORY = "memory";
    public static final String FILE_SIZE = "file_size";
    public static final String OUTPUT = "output";
    public static final String WORKSPACE_SIZE = "workspace_size";
    public static final String STATEMENTS = "statements";
    public static final String PROCESSES = "processes";

    public SandboxResult {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(value, "value");
        fileChanges = List.copyOf(fileChanges);
        Objects.requireNonNull(cpuMs, "cpuMs");
        Objects.requireNonNull(maxRssKiB, "maxRssKiB");
        Objects.requireNonNull(limitHit, "limitHit");
        Objects.requireNonNull(memoryLimit, "memoryLimit");
    }

    /** A non-zero exit or a limit hit. */
    public boolean failed() {
        return exitCode != 0 || limitHit.isPresent();
    }
}
