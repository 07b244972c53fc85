package io.agentlog.worker.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.ResourceLimits;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;

/**
 * The child JVM of {@link GraalJsSandbox}: reads one JSON request per line on stdin ({@code code},
 * {@code timeoutMs}, {@code statementLimit}, {@code outputBytes}), runs it in a fresh GraalJS context of one shared
 * engine, and writes one JSON response per line on stdout ({@code exitCode}, {@code stdout}, {@code stderr},
 * {@code value}, {@code limitHit}, {@code durationMs}). Guest output never reaches this process's own streams.
 *
 * <p>Each context: {@link SandboxPolicy#CONSTRAINED}, no host access (no Java classes or objects), no IO, no threads,
 * no processes, no native access, no environment, no polyglot access; a statement limit; and a watchdog that cancels
 * it ({@code close(true)}) at the wall-clock limit. The JVM runs with a small heap and exits on
 * {@link OutOfMemoryError}, so a memory bomb ends only this process; the parent restarts it.
 *
 * <p>The process exits when stdin closes, i.e. when the worker that started it is gone.
 */
public final class GraalJsServer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GraalJsServer() {}

    public static void main(String[] args) throws IOException {
        PrintStream protocol =
                new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        // anything else that writes to System.out (e.g. a library) must not corrupt the protocol
        System.setOut(System.err);
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "graaljs-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        try (Engine engine = Engine.newBuilder("js")
                .sandbox(SandboxPolicy.CONSTRAINED)
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream())
                .option("engine.WarnInterpreterOnly", "false")
                .build()) {
            warmUp(engine);
            protocol.println("{\"ready\":true}");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode request = JSON.readTree(line);
                protocol.println(JSON.writeValueAsString(execute(engine, watchdog, request)));
            }
        }
    }

    private static void warmUp(Engine engine) {
        try (Context context = newContext(engine, new CappedStream(1024), new CappedStream(1024), 10_000)) {
            context.eval("js", "console.log([1, 2, 3].map(x => x * 2).join(','))");
        }
    }

    static ObjectNode execute(Engine engine, ScheduledExecutorService watchdog, JsonNode request) {
        String code = request.path("code").asText("");
        long timeoutMs = Math.max(1, request.path("timeoutMs").asLong(10_000));
        long statementLimit = Math.max(1, request.path("statementLimit").asLong(100_000_000L));
        int outputBytes = Math.max(1, request.path("outputBytes").asInt(65536));
        CappedStream stdout = new CappedStream(outputBytes);
        CappedStream stderr = new CappedStream(outputBytes);
        ObjectNode response = JSON.createObjectNode();
        response.put("id", request.path("id").asText(""));
        long start = System.nanoTime();
        AtomicBoolean timedOut = new AtomicBoolean();
        String limitHit = null;
        int exitCode = 0;
        String value = null;
        Context context = newContext(engine, stdout, stderr, statementLimit);
        ScheduledFuture<?> cancel = watchdog.schedule(
                () -> {
                    timedOut.set(true);
                    context.close(true);
                },
                timeoutMs,
                TimeUnit.MILLISECONDS);
        try {
            Value result = context.eval("js", code);
            value = describe(context, result);
        } catch (PolyglotException e) {
            exitCode = 1;
            if (e.isCancelled() || timedOut.get()) {
                limitHit = timedOut.get() ? SandboxResult.WALL_CLOCK : SandboxResult.STATEMENTS;
            } else if (e.isResourceExhausted()) {
                limitHit = e.getMessage() != null && e.getMessage().contains("tatement")
                        ? SandboxResult.STATEMENTS
                        : SandboxResult.MEMORY;
            }
            stderr.writeText((limitHit == null ? "" : "[" + limitHit + " limit] ") + errorText(e) + "\n");
        } catch (IllegalStateException e) {
            // the watchdog closed the context between statements
            exitCode = 1;
            limitHit = timedOut.get() ? SandboxResult.WALL_CLOCK : null;
            stderr.writeText(String.valueOf(e.getMessage()) + "\n");
        } finally {
            cancel.cancel(false);
            try {
                context.close(true);
            } catch (RuntimeException e) {
                // already closed by the watchdog
            }
        }
        if (limitHit == null && (stdout.truncated() || stderr.truncated())) {
            limitHit = SandboxResult.OUTPUT;
        }
        response.put("exitCode", exitCode);
        response.put("stdout", stdout.text());
        response.put("stderr", stderr.text());
        if (value != null) {
            response.put("value", value.length() > outputBytes ? value.substring(0, outputBytes) : value);
        }
        if (limitHit != null) {
            response.put("limitHit", limitHit);
        }
        response.put("durationMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return response;
    }

    private static Context newContext(Engine engine, CappedStream stdout, CappedStream stderr, long statementLimit) {
        return Context.newBuilder("js")
                .engine(engine)
                .sandbox(SandboxPolicy.CONSTRAINED)
                .out(stdout)
                .err(stderr)
                .in(java.io.InputStream.nullInputStream())
                // the policy's preset: no host object is exported and none is passed in, so guest code reaches none
                .allowHostAccess(HostAccess.CONSTRAINED)
                .allowHostClassLookup(className -> false)
                .allowHostClassLoading(false)
                .allowIO(IOAccess.NONE)
                .allowCreateThread(false)
                .allowCreateProcess(false)
                .allowNativeAccess(false)
                .allowEnvironmentAccess(EnvironmentAccess.NONE)
                .allowPolyglotAccess(PolyglotAccess.NONE)
                .resourceLimits(ResourceLimits.newBuilder()
                        .statementLimit(statementLimit, null)
                        .build())
                .build();
    }

    /** The last expression's value as text: strings as they are, other values as JSON when they have a form. */
    private static String describe(Context context, Value result) {
        if (result == null) {
            return null;
        }
        if (result.isString()) {
            return result.asString();
        }
        if (result.isNull() && !result.toString().equals("null")) {
            return null; // undefined: the script ended with a statement, not a value
        }
        if (result.hasMembers() || result.hasArrayElements()) {
            try {
                Value json = context.eval("js", "(v) => JSON.stringify(v)").execute(result);
                if (json.isString()) {
                    return json.asString();
                }
            } catch (PolyglotException e) {
                // a cyclic or exotic value: fall back to its display form
            }
        }
        return result.toString();
    }

    private static String errorText(PolyglotException e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        if (e.isGuestException() && e.getSourceLocation() != null) {
            text.append(" (line ").append(e.getSourceLocation().getStartLine()).append(')');
        }
        return text.toString();
    }

    /** Keeps the first {@code limit} bytes and counts the rest. */
    static final class CappedStream extends OutputStream {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final int limit;
        private long total;

        CappedStream(int limit) {
            this.limit = limit;
        }

        @Override
        public synchronized void write(int b) {
            if (total++ < limit) {
                kept.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            int keep = (int) Math.max(0, Math.min(len, limit - total));
            kept.write(b, off, keep);
            total += len;
        }

        synchronized void writeText(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            write(bytes, 0, bytes.length);
        }

        synchronized String text() {
            return kept.toString(StandardCharsets.UTF_8);
        }

        synchronized boolean truncated() {
            return total > limit;
        }
    }
}
