package io.agentlog.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attacks on the GraalJS tier: host access of every kind fails, and limits end runaway scripts. */
class GraalJsEscapeSuiteTest {

    private static BubblewrapSandbox confinement;
    private static GraalJsSandbox sandbox;

    @TempDir
    Path hostDir;

    @BeforeAll
    static void start() {
        SandboxLimits limits = SandboxLimits.defaults().withWallClockSeconds(10).withStatementLimit(5_000_000);
        // as the worker runs it: child JVMs inside bubblewrap where it is usable
        confinement = BubblewrapSandbox.create(limits);
        sandbox = GraalJsSandbox.create(limits, confinement);
    }

    @AfterAll
    static void stop() {
        sandbox.close();
        confinement.close();
    }

    @Test
    void shouldRunTheChildJvmAsTheSandboxUserWhenBubblewrapIsUsable() throws Exception {
        io.agentlog.testkit.Prerequisites.require(
                "the bubblewrap confinement of the JavaScript sandbox", confinement.unavailableReason());
        // When a script has run
        assertThat(js("'x'").value()).contains("x");

        // Then the child JVM runs as uid 65534 (when the worker is root) in its own namespaces
        var children = ProcessHandle.current()
                .descendants()
                .filter(p -> commandLine(p).contains(GraalJsServer.class.getName()))
                .filter(p -> commandLine(p).startsWith(System.getProperty("java.home")))
                .toList();
        assertThat(children).isNotEmpty();
        int myUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        for (ProcessHandle child : children) {
            Path proc = Path.of("/proc", Long.toString(child.pid()));
            if (myUid == 0) {
                assertThat((Integer) Files.getAttribute(proc, "unix:uid")).isEqualTo(BubblewrapSandbox.SANDBOX_UID);
            }
            assertThat(Files.readSymbolicLink(proc.resolve("ns/net")))
                    .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
        }
    }

    private static SandboxResult js(String code) {
        return sandbox.run(Language.JAVASCRIPT, code, List.of(), Duration.ofSeconds(10));
    }

    private static String commandLine(ProcessHandle process) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"))
                    .replace('\0', ' ');
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void shouldPrintAndReturnTheLastValueWhenScriptIsOrdinary() {
        // When an ordinary script runs
        SandboxResult result = js("console.log('hello', 1 + 1); const xs = [3, 1, 2].sort(); xs.join('-')");

        // Then its output and last value come back
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).isEqualTo("hello 2\n");
        assertThat(result.value()).contains("1-2-3");
        assertThat(result.limitHit()).isEmpty();
        assertThat(result.tier()).isEqualTo("graaljs");
    }

    @Test
    void shouldReturnObjectsAsJsonAndNothingForUndefined() {
        assertThat(js("({a: [1, 2], b: 'x'})").value()).contains("{\"a\":[1,2],\"b\":\"x\"}");
        assertThat(js("[3, 6]").value()).contains("[3,6]");
        assertThat(js("let x = 1;").value()).isEmpty();
        assertThat(js("null").value()).contains("null");
        assertThat(js("1.5").value()).contains("1.5");
    }

    @Test
    void shouldReportTheErrorWhenScriptThrows() {
        SandboxResult result = js("null.x");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).contains("TypeError");
        assertThat(result.limitHit()).isEmpty();
    }

    @Test
    void shouldDenyHostAccessWhenScriptReachesForJavaFilesThreadsAndProcesses() throws Exception {
        // Given a file on the host
        Path canary = hostDir.resolve("canary");
        Files.writeString(canary, "secret-2718");

        // When the script tries every door to the host
        SandboxResult result = js("""
                const attempts = {
                  javaType: () => Java.type('java.lang.Runtime'),
                  javaLang: () => java.lang.System.getenv(),
                  packages: () => new Packages.java.io.File('%s').exists(),
                  runtime: () => Packages.java.lang.Runtime.getRuntime().exec('id'),
                  polyglot: () => Polyglot.eval('js', '1'),
                  load: () => load('%s'),
                  read: () => read('%s'),
                  readFully: () => readFully('%s'),
                  importModule: () => require('fs'),
                  process: () => process.env,
                  worker: () => new Worker('x'),
                  exit: () => quit(),
                  thread: () => Java.type('java.lang.Thread'),
                  sharedMemory: () => Atomics.wait(new Int32Array(new SharedArrayBuffer(8)), 0, 0, 1),
                };
                for (const [name, attempt] of Object.entries(attempts)) {
                  try { const v = attempt(); console.log(name, 'ALLOWED', String(v).slice(0, 40)); }
                  catch (e) { console.log(name, 'denied', e.name); }
                }
                'done'
                """.formatted(canary, canary, canary, canary));

        // Then every attempt failed, nothing of the host leaked, and the sandbox still answers
        assertThat(result.stdout()).doesNotContain("ALLOWED").doesNotContain("secret-2718");
        assertThat(result.stdout().lines()).hasSize(14);
        assertThat(result.value()).contains("done");
        assertThat(js("1 + 1").value()).contains("2");
    }

    @Test
    void shouldStopAnEndlessLoopAtTheStatementLimit() {
        SandboxResult result = js("let i = 0; while (true) { i++; }");

        assertThat(result.limitHit()).contains(SandboxResult.STATEMENTS);
        assertThat(result.exitCode()).isNotZero();
    }

    @Test
    void shouldStopASlowScriptAtTheWallClock() {
        // Given a statement limit high enough that the clock comes first
        try (GraalJsSandbox slow = GraalJsSandbox.create(
                SandboxLimits.defaults().withWallClockSeconds(2).withStatementLimit(Long.MAX_VALUE / 2))) {
            // When a script loops without end
            SandboxResult result = slow.run(Language.JAVASCRIPT, "for (;;) {}", List.of(), Duration.ofSeconds(1));

            // Then it is cancelled at the call's timeout
            assertThat(result.limitHit()).contains(SandboxResult.WALL_CLOCK);
            assertThat(result.durationMs()).isLessThan(8_000);
            // and the next script runs
            assertThat(slow.run(Language.JAVASCRIPT, "'next'", List.of(), Duration.ofSeconds(5))
                            .value())
                    .contains("next");
        }
    }

    @Test
    void shouldRestartTheChildWhenAMemoryBombEndsIt() {
        // When a script allocates without end
        SandboxResult bomb = js("const keep = []; while (true) { keep.push(new Array(1000000).fill(1.5)); }");

        // Then it ends with a limit hit, and the next script runs in a fresh child
        assertThat(bomb.limitHit()).contains(SandboxResult.MEMORY);
        assertThat(bomb.stderr()).contains("heap");
        assertThat(bomb.exitCode()).isNotZero();
        assertThat(js("'after the bomb'").value()).contains("after the bomb");
    }

    @Test
    void shouldCapOutputWhenScriptFloodsTheConsole() {
        SandboxResult result = js("const s = 'x'.repeat(1000); for (let i = 0; i < 1000; i++) console.log(s); 'ok'");

        assertThat(result.stdout().length()).isEqualTo(SandboxLimits.DEFAULT_OUTPUT_KIB * 1024);
        assertThat(result.limitHit()).contains(SandboxResult.OUTPUT);
    }
}
