package io.agentlog.bench;

import java.util.List;
import java.util.Optional;

/**
 * The stack one scenario measures: its Kafka, and, when the benchmark started it, its processes (for CPU, memory,
 * the broker's request counts, killing an engine). A target given by {@code --bootstrap-servers} knows no processes:
 * what needs them is reported as not measured. Closing a throwaway target stops what it started.
 */
public interface BenchTarget extends AutoCloseable {

    String bootstrapServers();

    /** The stack's processes on this machine; empty when the benchmark did not start them. */
    List<StackProcess> processes();

    /** A line that says what the stack is, for the results. */
    String description();

    /**
     * SIGKILL to an engine, as in a crash.
     *
     * @return the wall-clock time ({@link System#currentTimeMillis()}) just before the signal
     * @throws BenchException when this target cannot kill that engine
     */
    long killEngine(String name);

    /** Why the stack is broken (a process the benchmark did not kill has exited), if it is. */
    Optional<String> deadProcess();

    /** Processes of one role. */
    default List<StackProcess> processes(StackProcess.Role role) {
        return processes().stream().filter(p -> p.role() == role).toList();
    }

    /** The broker's process, when known. */
    default Optional<StackProcess> broker() {
        return processes(StackProcess.Role.BROKER).stream().findFirst();
    }

    @Override
    void close();

    /** A stack someone else runs: only its Kafka is known. */
    static BenchTarget remote(String bootstrapServers) {
        return new BenchTarget() {
            @Override
            public String bootstrapServers() {
                return bootstrapServers;
            }

            @Override
            public List<StackProcess> processes() {
                return List.of();
            }

            @Override
            public String description() {
                return "a running stack at " + bootstrapServers + " (its processes are not known to the benchmark)";
            }

            @Override
            public long killEngine(String name) {
                throw new BenchException("cannot kill an engine of the stack at " + bootstrapServers
                        + ": only a throwaway stack's engines can be killed (run without --bootstrap-servers)");
            }

            @Override
            public Optional<String> deadProcess() {
                return Optional.empty();
            }

            @Override
            public void close() {
                // not ours to stop
            }
        };
    }
}
