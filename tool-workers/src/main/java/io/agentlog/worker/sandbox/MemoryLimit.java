package io.agentlog.worker.sandbox;

import java.util.Locale;

/** How the memory of one sandboxed execution was limited; reported with every {@link SandboxResult}. */
public enum MemoryLimit {
    /** A cgroup v1 memory group per execution: all its processes together, swap included, plus each process's limit. */
    CGROUP_V1,
    /** A cgroup v2 group per execution ({@code memory.max}, no swap, {@code pids.max}), plus each process's limit. */
    CGROUP_V2,
    /**
     * Each process's address space ({@code RLIMIT_AS}) only: this host offers the sandbox no memory cgroup, so there is
     * no limit for the execution's processes together (see docs/sandbox.md, "Known limits").
     */
    PER_PROCESS,
    /** The heap of the child JVM that runs the script (GraalJS). */
    JVM_HEAP;

    /** True when one limit holds for all of the execution's processes together. */
    public boolean coversAllProcesses() {
        return this != PER_PROCESS;
    }

    /** The name in JSON and logs: {@code cgroup_v1}, {@code cgroup_v2}, {@code per_process}, {@code jvm_heap}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
