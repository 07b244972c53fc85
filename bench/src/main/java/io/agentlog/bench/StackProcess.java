package io.agentlog.bench;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One process of a stack a benchmark measures, on this machine: its CPU time and memory are read from
 * {@code /proc/<pid>}, its JMX connector (when it has one, on 127.0.0.1) gives the broker's request counts and the
 * engine's heap.
 *
 * @param name as the results name it: {@code broker}, {@code engine}, {@code engine-2}, {@code worker}
 * @param role what it is
 * @param pid its process id
 * @param jmxPort its loopback JMX connector's port, if any
 * @param stateDir an engine's state directory
 */
public record StackProcess(String name, Role role, long pid, OptionalInt jmxPort, Optional<Path> stateDir) {

    /** What a process of the stack is. */
    public enum Role {
        BROKER,
        ENGINE,
        WORKER
    }

    public StackProcess {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(jmxPort, "jmxPort");
        Objects.requireNonNull(stateDir, "stateDir");
        if (pid < 1) {
            throw new IllegalArgumentException("a process id is positive, but was " + pid + " for " + name);
        }
    }
}
