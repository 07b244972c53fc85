package io.agentlog.worker.sandbox;

import io.agentlog.schemas.Env;
import java.time.Duration;
import java.util.Map;

/**
 * The limits of one sandboxed execution, the same for every tier where they apply. Read from {@code AGENTLOG_SANDBOX_*}
 * environment variables by {@link #fromEnv(Map)}, validated at start with messages that quote the bad value.
 *
 * @param cpuSeconds CPU time of each process ({@code RLIMIT_CPU}; {@value #DEFAULT_CPU_SECONDS})
 * @param memoryMiB address space of each process ({@code RLIMIT_AS}; {@value #DEFAULT_MEMORY_MIB}); for JavaScript
 *     the child JVM's heap is fixed at start, see {@link GraalJsSandbox}
 * @param processes processes and threads in the sandbox ({@code RLIMIT_NPROC}, counted per sandbox;
 *     {@value #DEFAULT_PROCESSES})
 * @param fileSizeMiB largest file a process may write ({@code RLIMIT_FSIZE}; {@value #DEFAULT_FILE_SIZE_MIB})
 * @param openFiles open file descriptors per process ({@code RLIMIT_NOFILE}; {@value #DEFAULT_OPEN_FILES})
 * @param wallClockSeconds the longest one execution may take, whatever the call asks
 *     ({@value #DEFAULT_WALL_CLOCK_SECONDS}); a call's own {@code timeout_seconds} may only shorten it
 * @param outputKiB stdout and stderr kept, each; the rest is read and discarded ({@value #DEFAULT_OUTPUT_KIB})
 * @param workspaceMiB the workspace may grow to this size; past it the execution is stopped and its changes dropped
 *     ({@value #DEFAULT_WORKSPACE_MIB})
 * @param statementLimit JavaScript statements per execution ({@value #DEFAULT_STATEMENT_LIMIT})
 * @param jsHeapMiB heap of the child JVM that runs JavaScript ({@value #DEFAULT_JS_HEAP_MIB}); a script that needs
 *     more ends that JVM, which is restarted for the next execution
 */
public record SandboxLimits(
        int cpuSeconds,
        int memoryMiB,
        int processes,
        int fileSizeMiB,
        int openFiles,
        int wallClockSeconds,
        int outputKiB,
        int workspaceMiB,
        long statementLimit,
        int jsHeapMiB) {

    public static final String CPU_SECONDS = "AGENTLOG_SANDBOX_CPU_SECONDS";
    public static final String MEMORY_MIB = "AGENTLOG_SANDBOX_MEMORY_MIB";
    public static final String PROCESSES = "AGENTLOG_SANDBOX_PROCESSES";
    public static final String FILE_SIZE_MIB = "AGENTLOG_SANDBOX_FILE_SIZE_MIB";
    public static final String OPEN_FILES = "AGENTLOG_SANDBOX_OPEN_FILES";
    public static final String WALL_CLOCK_SECONDS = "AGENTLOG_SANDBOX_WALL_CLOCK_SECONDS";
    public static final String OUTPUT_KIB = "AGENTLOG_SANDBOX_OUTPUT_KIB";
    public static final String WORKSPACE_MIB = "AGENTLOG_SANDBOX_WORKSPACE_MIB";
    public static final String STATEMENT_LIMIT = "AGENTLOG_SANDBOX_STATEMENT_LIMIT";
    public static final String JS_HEAP_MIB = "AGENTLOG_SANDBOX_JS_HEAP_MIB";

    public static final int DEFAULT_CPU_SECONDS = 30;
    public static final int DEFAULT_MEMORY_MIB = 1024;
    public static final int DEFAULT_PROCESSES = 64;
    public static final int DEFAULT_FILE_SIZE_MIB = 16;
    public static final int DEFAULT_OPEN_FILES = 256;
    public static final int DEFAULT_WALL_CLOCK_SECONDS = 60;
    public static final int DEFAULT_OUTPUT_KIB = 64;
    public static final int DEFAULT_WORKSPACE_MIB = 64;
    public static final long DEFAULT_STATEMENT_LIMIT = 100_000_000L;
    public static final int DEFAULT_JS_HEAP_MIB = 256;

    public SandboxLimits {
        requireBetween(cpuSeconds, 1, 3600, CPU_SECONDS);
        requireBetween(memoryMiB, 16, 65536, MEMORY_MIB);
        requireBetween(processes, 1, 4096, PROCESSES);
        requireBetween(fileSizeMiB, 1, 4096, FILE_SIZE_MIB);
        requireBetween(openFiles, 16, 65536, OPEN_FILES);
        requireBetween(wallClockSeconds, 1, 3600, WALL_CLOCK_SECONDS);
        requireBetween(outputKiB, 1, 4096, OUTPUT_KIB);
        requireBetween(workspaceMiB, 1, 4096, WORKSPACE_MIB);
        if (statementLimit < 1) {
            throw new IllegalArgumentException(STATEMENT_LIMIT + " must be at least 1, but was " + statementLimit);
        }
        requireBetween(jsHeapMiB, 64, 65536, JS_HEAP_MIB);
    }

    public static SandboxLimits defaults() {
        return new SandboxLimits(
                DEFAULT_CPU_SECONDS,
                DEFAULT_MEMORY_MIB,
                DEFAULT_PROCESSES,
                DEFAULT_FILE_SIZE_MIB,
                DEFAULT_OPEN_FILES,
                DEFAULT_WALL_CLOCK_SECONDS,
                DEFAULT_OUTPUT_KIB,
                DEFAULT_WORKSPACE_MIB,
                DEFAULT_STATEMENT_LIMIT,
                DEFAULT_JS_HEAP_MIB);
    }

    /** Reads the limits from {@code AGENTLOG_SANDBOX_*} variables; blank or missing ones keep their default. */
    public static SandboxLimits fromEnv(Map<String, String> env) {
        Env in = new Env(env);
        return new SandboxLimits(
                in.integer(CPU_SECONDS, DEFAULT_CPU_SECONDS),
                in.integer(MEMORY_MIB, DEFAULT_MEMORY_MIB),
                in.integer(PROCESSES, DEFAULT_PROCESSES),
                in.integer(FILE_SIZE_MIB, DEFAULT_FILE_SIZE_MIB),
                in.integer(OPEN_FILES, DEFAULT_OPEN_FILES),
                in.integer(WALL_CLOCK_SECONDS, DEFAULT_WALL_CLOCK_SECONDS),
                in.integer(OUTPUT_KIB, DEFAULT_OUTPUT_KIB),
                in.integer(WORKSPACE_MIB, DEFAULT_WORKSPACE_MIB),
                in.number(STATEMENT_LIMIT, DEFAULT_STATEMENT_LIMIT),
                in.integer(JS_HEAP_MIB, DEFAULT_JS_HEAP_MIB));
    }

    public SandboxLimits withWallClockSeconds(int seconds) {
        return new SandboxLimits(
                cpuSeconds,
                memoryMiB,
                processes,
                fileSizeMiB,
                openFiles,
                seconds,
                outputKiB,
                workspaceMiB,
                statementLimit,
                jsHeapMiB);
    }

    public SandboxLimits withCpuSeconds(int seconds) {
        return new SandboxLimits(
                seconds,
                memoryMiB,
                processes,
                fileSizeMiB,
                openFiles,
                wallClockSeconds,
                outputKiB,
                workspaceMiB,
                statementLimit,
                jsHeapMiB);
    }

    public SandboxLimits withMemoryMiB(int mib) {
        return new SandboxLimits(
                cpuSeconds,
                mib,
                processes,
                fileSizeMiB,
                openFiles,
                wallClockSeconds,
                outputKiB,
                workspaceMiB,
                statementLimit,
                jsHeapMiB);
    }

    public SandboxLimits withStatementLimit(long statements) {
        return new SandboxLimits(
                cpuSeconds,
                memoryMiB,
                processes,
                fileSizeMiB,
                openFiles,
                wallClockSeconds,
                outputKiB,
                workspaceMiB,
                statements,
                jsHeapMiB);
    }

    public Duration wallClock() {
        return Duration.ofSeconds(wallClockSeconds);
    }

    public int outputBytes() {
        return outputKiB * 1024;
    }

    public long workspaceBytes() {
        return workspaceMiB * 1024L * 1024L;
    }

    private static void requireBetween(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", but was " + value);
        }
    }
}
