package io.agentlog.worker.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.avro.FileChange;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs JavaScript (ECMAScript, no Node APIs) on GraalJS in child JVMs ({@link GraalJsServer}), never in the worker's
 * own JVM: each child has a small heap ({@link SandboxLimits#jsHeapMiB()}), an empty environment (no secrets, no
 * Kafka credentials) and exits on {@link OutOfMemoryError}. Inside it every execution gets a fresh
 * {@code SandboxPolicy.CONSTRAINED} context with no host access, IO, threads or processes, a statement limit and a
 * wall-clock cancel. A child that dies or stops answering is killed and replaced for the next execution, and the
 * execution is reported with the limit it hit.
 *
 * <p>{@value #CHILDREN} children serve executions one at a time each; they start at first use. Workspace files are not
 * visible to JavaScript, and it changes none.
 */
public final class GraalJsSandbox implements CodeSandbox {

    public static final String TIER = "graaljs";
    /** Child JVMs, each running one execution at a time. */
    public static final int CHILDREN = 2;

    private static final Logger log = LoggerFactory.getLogger(GraalJsSandbox.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Time a child may take beyond the execution's limit to answer (its own watchdog cancels at the limit). */
    private static final Duration ANSWER_GRACE = Duration.ofSeconds(5);

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final SandboxLimits limits;
    private final Optional<BubblewrapSandbox> confinement;
    /** Idle children, the most recently used first: a lightly used sandbox starts only one JVM. */
    private final BlockingDeque<Slot> slots;

    private final List<Slot> all = new ArrayList<>();
    private volatile boolean closed;

    private GraalJsSandbox(SandboxLimits limits, Optional<BubblewrapSandbox> confinement) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.confinement = Objects.requireNonNull(confinement, "confinement");
        this.slots = new LinkedBlockingDeque<>(CHILDREN);
        for (int i = 0; i < CHILDREN; i++) {
            Slot slot = new Slot(i);
            all.add(slot);
            slots.addFirst(slot);
        }
    }

    /** Child JVMs confined only by the JVM and GraalJS's policy. */
    public static GraalJsSandbox create(SandboxLimits limits) {
        return new GraalJsSandbox(limits, Optional.empty());
    }

    /**
     * Child JVMs that also run inside {@code bubblewrap}'s confinement (see {@link BubblewrapSandbox#confine}): no
     * network, no host files but the JDK and the class path, uid 65534, seccomp. When bubblewrap is unavailable they
     * run unconfined (GraalJS's policy still applies), with a warning.
     */
    public static GraalJsSandbox create(SandboxLimits limits, BubblewrapSandbox confinement) {
        return new GraalJsSandbox(limits, Optional.of(confinement));
    }

    @Override
    public String tier() {
        return TIER;
    }

    @Override
    public SandboxLimits limits() {
        return limits;
    }

    @Override
    public Optional<String> unavailableReason() {
        if (closed) {
            return Optional.of("the JavaScript sandbox is closed");
        }
        Slot slot = take();
        try {
            slot.ensureStarted();
            return Optional.empty();
        } catch (SandboxUnavailableException e) {
            return Optional.of(e.getMessage().replaceFirst("^sandbox unavailable: ", ""));
        } finally {
            slots.addFirst(slot);
        }
    }

    @Override
    public SandboxResult run(Language language, String code, List<FileChange> files, Duration timeout) {
        if (language != Language.JAVASCRIPT) {
            throw new IllegalArgumentException("the GraalJS sandbox runs only javascript, not " + language.id());
        }
        Objects.requireNonNull(code, "code");
        if (closed) {
            throw new SandboxUnavailableException("the JavaScript sandbox is closed (the worker is stopping)");
        }
        Duration limit =
                timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(limits.wallClock()) > 0
                        ? limits.wallClock()
                        : timeout;
        long start = System.nanoTime();
        Slot slot = take();
        try {
            slot.ensureStarted();
            return slot.execute(code, limit, start);
        } finally {
            slots.addFirst(slot);
        }
    }

    private Slot take() {
        try {
            return slots.takeFirst();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxUnavailableException("interrupted while waiting for a JavaScript sandbox");
        }
    }

    @Override
    public void close() {
        closed = true;
        all.forEach(Slot::stop);
    }

    /** One child JVM, restarted when it dies. Used by one execution at a time. */
    private final class Slot {
        private final int index;
        private Process process;
        private OutputStream requests;
        private BlockingQueue<String> answers;
        private final StringBuffer diagnostics = new StringBuffer();

        Slot(int index) {
            this.index = index;
        }

        void ensureStarted() {
            if (process != null && process.isAlive()) {
                return;
            }
            stop();
            String classPath = System.getProperty("java.class.path");
            List<String> command = List.of(
                    javaBinary(),
                    "-Xmx" + limits.jsHeapMiB() + "m",
                    "-Xss2m",
                    "-XX:+UseSerialGC",
                    "-XX:+ExitOnOutOfMemoryError",
                    "-XX:TieredStopAtLevel=1",
                    "-XX:-UsePerfData",
                    "-Djava.io.tmpdir=/tmp",
                    "-Dpolyglot.engine.WarnInterpreterOnly=false",
                    "-cp",
                    classPath,
                    GraalJsServer.class.getName());
            List<Path> readOnly = new ArrayList<>();
            readOnly.add(Path.of(System.getProperty("java.home")));
            for (String entry : classPath.split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) {
                    readOnly.add(Path.of(entry));
                }
            }
            Optional<List<String>> confined = confinement.flatMap(sandbox -> sandbox.confine(command, readOnly));
            if (confinement.isPresent() && confined.isEmpty()) {
                log.warn(
                        "GraalJS child {} runs without bubblewrap confinement (bubblewrap unavailable: {}); GraalJS's"
                                + " CONSTRAINED policy still applies",
                        index,
                        confinement.get().unavailableReason().orElse("unknown"));
            }
            ProcessBuilder builder = new ProcessBuilder(confined.orElse(command));
            builder.environment().clear(); // the child must hold no secrets
            try {
                process = builder.start();
            } catch (IOException e) {
                throw new SandboxUnavailableException(
                        "cannot start the GraalJS child JVM (" + command.get(0) + "): " + e.getMessage());
            }
            requests = process.getOutputStream();
            answers = new LinkedBlockingQueue<>();
            diagnostics.setLength(0);
            Process started = process;
            BlockingQueue<String> queue = answers;
            Thread.ofVirtual().name("graaljs-" + index + "-out").start(() -> readLines(started, queue));
            Thread.ofVirtual().name("graaljs-" + index + "-err").start(() -> readDiagnostics(started));
            String ready = poll(START_TIMEOUT);
            if (ready == null || EOF.equals(ready) || !ready.contains("\"ready\"")) {
                waitQuietly(started, Duration.ofSeconds(1));
                String why = "the GraalJS child JVM did not get ready ("
                        + (started.isAlive() ? "no answer within " + START_TIMEOUT.toSeconds() + " s" : "it exited")
                        + "): " + tail(diagnostics.toString());
                stop();
                throw new SandboxUnavailableException(why);
            }
            log.info(
                    "GraalJS sandbox child {} started (pid {}, heap {} MiB, {})",
                    index,
                    started.pid(),
                    limits.jsHeapMiB(),
                    confined.isPresent() ? "confined by bubblewrap" : "not confined by bubblewrap");
        }

        SandboxResult execute(String code, Duration limit, long startNanos) {
            ObjectNode request = JSON.createObjectNode();
            request.put("id", UUID.randomUUID().toString());
            request.put("code", code);
            request.put("timeoutMs", limit.toMillis());
            request.put("statementLimit", limits.statementLimit());
            request.put("outputBytes", limits.outputBytes());
            try {
                requests.write((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
                requests.flush();
            } catch (IOException e) {
                return died(startNanos, "the JavaScript sandbox stopped before the code was sent");
            }
            String answer = poll(limit.plus(ANSWER_GRACE));
            if (EOF.equals(answer)) {
                return died(startNanos, "the JavaScript sandbox ended during the execution");
            }
            if (answer == null) {
                stop();
                return failure(
                        startNanos,
                        SandboxResult.WALL_CLOCK,
                        "stopped after " + limit.toMillis() + " ms (the JavaScript sandbox was restarted)");
            }
            try {
                JsonNode response = JSON.readTree(answer);
                return new SandboxResult(
                        TIER,
                        response.path("exitCode").asInt(1),
                        response.path("stdout").asText(""),
                        response.path("stderr").asText(""),
                        response.hasNonNull("value")
                                ? Optional.of(response.get("value").asText())
                                : Optional.empty(),
                        List.of(),
                        elapsedMs(startNanos),
                        OptionalLong.empty(),
                        OptionalLong.empty(),
                        response.hasNonNull("limitHit")
                                ? Optional.of(response.get("limitHit").asText())
                                : Optional.empty(),
                        MemoryLimit.JVM_HEAP);
            } catch (IOException e) {
                stop();
                throw new UncheckedIOException("the JavaScript sandbox answered garbage: " + tail(answer), e);
            }
        }

        private SandboxResult died(long startNanos, String what) {
            if (process != null) {
                waitQuietly(process, Duration.ofSeconds(2));
            }
            String why = diagnostics.toString();
            stop();
            boolean memory = why.contains("OutOfMemoryError") || why.contains("Java heap space");
            return failure(
                    startNanos,
                    memory ? SandboxResult.MEMORY : null,
                    what
                            + (memory
                                    ? ": the script exhausted the sandbox's " + limits.jsHeapMiB() + " MiB heap"
                                    : ": " + tail(why))
                            + " (restarted for the next execution)");
        }

        private SandboxResult failure(long startNanos, String limitHit, String message) {
            return new SandboxResult(
                    TIER,
                    -1,
                    "",
                    message + "\n",
                    Optional.empty(),
                    List.of(),
                    elapsedMs(startNanos),
                    OptionalLong.empty(),
                    OptionalLong.empty(),
                    Optional.ofNullable(limitHit),
                    MemoryLimit.JVM_HEAP);
        }

        /** The next JSON line of the child, {@link #EOF} when it ended, or null when none came in time. */
        private String poll(Duration timeout) {
            try {
                long deadline = System.nanoTime() + timeout.toNanos();
                while (true) {
                    String line = answers.poll(100, TimeUnit.MILLISECONDS);
                    if (line != null && line.equals(EOF)) {
                        return EOF;
                    }
                    if (line != null && line.startsWith("{")) {
                        return line;
                    }
                    if (line != null) {
                        diagnostics.append(line).append('\n'); // the JVM itself, e.g. "Terminating due to ..."
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        return null;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        void stop() {
            Process current = process;
            process = null;
            if (current != null) {
                current.destroyForcibly();
                try {
                    current.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void readDiagnostics(Process child) {
            try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(child.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (diagnostics.length() < 16_384) {
                        diagnostics.append(line).append('\n');
                    }
                    log.debug("GraalJS child {}: {}", index, line);
                }
            } catch (IOException e) {
                // the child ended
            }
        }
    }

    private static final String EOF = "\u0000eof";

    private static void readLines(Process child, BlockingQueue<String> queue) {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                queue.add(line);
            }
        } catch (IOException e) {
            // the child ended
        } finally {
            queue.add(EOF);
        }
    }

    private static String javaBinary() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return Files.isExecutable(java) ? java.toString() : "java";
    }

    private static void waitQuietly(Process process, Duration timeout) {
        try {
            process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long elapsedMs(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static String tail(String text) {
        String stripped = text.strip();
        return stripped.length() <= 2000 ? stripped : "..." + stripped.substring(stripped.length() - 2000);
    }
}
