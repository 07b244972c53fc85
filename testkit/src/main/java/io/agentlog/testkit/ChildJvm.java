package io.agentlog.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Starts a Java main class in a child JVM with this JVM's java binary and class path, its output appended to a log
 * file. Used for the broker, and by the local stack for the engine and the workers.
 *
 * <p>An <em>attached</em> child (the default) exits when this JVM goes away, however it dies (see
 * {@link ExitWithParent}). A <em>detached</em> child outlives it: its input is {@code /dev/null} and it runs in a
 * session of its own when {@code setsid} is available, so closing the terminal does not hang it up either.
 */
public final class ChildJvm {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private final String mainClass;
    private final List<String> args;
    private final List<String> jvmArgs;
    private final Map<String, String> env;
    private final Path logFile;
    private final boolean detached;

    private ChildJvm(Builder b) {
        this.mainClass = Objects.requireNonNull(b.mainClass, "mainClass");
        this.args = List.copyOf(b.args);
        this.jvmArgs = List.copyOf(b.jvmArgs);
        this.env = Map.copyOf(b.env);
        this.logFile = Objects.requireNonNull(b.logFile, "logFile");
        this.detached = b.detached;
    }

    public static Builder builder(String mainClass) {
        return new Builder(mainClass);
    }

    /** The java binary of the running JVM. */
    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The class path of the running JVM. */
    public static String classPath() {
        return System.getProperty("java.class.path");
    }

    /** The full command line this child runs. */
    public List<String> command() {
        List<String> command = new ArrayList<>();
        if (detached && Files.isExecutable(SETSID)) {
            command.add(SETSID.toString());
        }
        command.add(javaBinary());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(classPath());
        if (!detached) {
            command.add(ExitWithParent.class.getName());
        }
        command.add(mainClass);
        command.addAll(args);
        return command;
    }

    public Process start() {
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            ProcessBuilder pb = new ProcessBuilder(command())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            if (detached) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            pb.environment().putAll(env);
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + mainClass + " in a child JVM: " + e.getMessage(), e);
        }
    }

    /**
     * Stops a child process: SIGTERM, then SIGKILL if it has not exited within {@code grace}. Returns true when it
     * stopped on SIGTERM. Waits with {@link Process#waitFor}, not {@code onExit()}, whose completion runs on the
     * common fork-join pool and stalls while that pool is busy (it has one thread on a two-core machine).
     */
    public static boolean stop(Process process, Duration grace) {
        if (!process.isAlive()) {
            return true;
        }
        process.destroy();
        try {
            if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return false;
        }
    }

    /**
     * SIGKILL: no shutdown hook, no flush, as in a crash. Waits until the process is gone and returns its pid. An
     * interrupt while waiting is kept for the caller; the process has been signalled either way.
     */
    public static long kill(Process process) {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return process.pid();
    }

    /**
     * Stops any process by its handle (one this JVM did not start, e.g. from a pid file): SIGTERM, then SIGKILL if it
     * is still alive after {@code grace}. Returns true when it stopped on SIGTERM.
     */
    public static boolean stop(ProcessHandle process, Duration grace) {
        if (!process.isAlive()) {
            return true;
        }
        process.destroy();
        if (awaitExit(process, grace)) {
            return true;
        }
        process.destroyForcibly();
        awaitExit(process, Duration.ofSeconds(10));
        return false;
    }

    /** Polls: {@code ProcessHandle.onExit()} needs the common fork-join pool (see {@link #stop(Process, Duration)}). */
    private static boolean awaitExit(ProcessHandle process, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (process.isAlive()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !process.isAlive();
            }
        }
        return true;
    }

    public static final class Builder {
        private final String mainClass;
        private final List<String> args = new ArrayList<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Path logFile;
        private boolean detached;

        private Builder(String mainClass) {
            this.mainClass = mainClass;
        }

        public Builder args(String... values) {
            args.addAll(List.of(values));
            return this;
        }

        public Builder args(List<String> values) {
            args.addAll(values);
            return this;
        }

        public Builder jvmArgs(String... values) {
            jvmArgs.addAll(List.of(values));
            return this;
        }

        public Builder jvmArgs(List<String> values) {
            jvmArgs.addAll(values);
            return this;
        }

        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Builder env(Map<String, String> values) {
            env.putAll(values);
            return this;
        }

        /** Where the child's stdout and stderr are appended. */
        public Builder logFile(Path logFile) {
            this.logFile = logFile;
            return this;
        }

        public Builder detached(boolean detached) {
            this.detached = detached;
            return this;
        }

        public ChildJvm build() {
            return new ChildJvm(this);
        }
    }
}
