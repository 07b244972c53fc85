package io.agentlog.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.schemas.avro.FileChange;
import io.agentlog.testkit.Prerequisites;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on the bubblewrap tier. Each asserts the attack failed and the host is unchanged. Skipped (with the reason)
 * where bubblewrap cannot run, and failed there on CI ({@code CI=true}), which installs it with scripts/setup.sh.
 */
class EscapeSuiteTest {

    private static BubblewrapSandbox sandbox;

    @TempDir
    Path hostDir;

    @BeforeAll
    static void startSandbox() {
        sandbox = BubblewrapSandbox.create(
                SandboxLimits.defaults().withCpuSeconds(5).withWallClockSeconds(20));
        Prerequisites.require("the bubblewrap sandbox (escape suite)", sandbox.unavailableReason());
    }

    @AfterAll
    static void closeSandbox() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private static SandboxResult bash(String script) {
        return sandbox.run(Language.BASH, script, List.of(), Duration.ofSeconds(20));
    }

    private static String all(SandboxResult result) {
        return result.stdout() + "\n" + result.stderr();
    }

    @Test
    void shouldNotReadHostFilesWhenCodeTriesShadowHomeAndACanary() throws IOException {
        // Given a secret file on the host
        Path canary = hostDir.resolve("canary.txt");
        Files.writeString(canary, "host-secret-3141");
        Files.setPosixFilePermissions(canary, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));

        // When the code tries to read it, /etc/shadow and the home directories
        SandboxResult result = bash("cat " + canary + "; cat /etc/shadow; ls -a /root /home " + hostDir
                + "; cat /etc/passwd; ls /; echo end");

        // Then none of it is there
        assertThat(all(result)).doesNotContain("host-secret-3141").doesNotContain("root:");
        assertThat(result.stderr()).contains("/etc/shadow: No such file or directory");
        assertThat(result.stdout().lines().toList()).doesNotContain("root", "home", "etc/shadow", "boot", "var");
        assertThat(result.stdout()).contains("end");
        assertThat(Files.readString(canary)).isEqualTo("host-secret-3141");
    }

    @Test
    void shouldSeeNoSecretsWhenCodeReadsEnvironmentAndPid1Environ() {
        // When the code dumps its environment, that of PID 1 and every process it can see
        SandboxResult result = bash("env; echo ---; tr '\\0' '\\n' < /proc/1/environ; echo ---;"
                + " for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ 2>/dev/null; done; echo ---; ls /proc");

        // Then only the sandbox's own minimal variables exist, nothing of the worker's
        assertThat(result.exitCode()).isZero();
        String[] sections = result.stdout().split("---\n");
        assertThat(sections[0].lines().map(l -> l.substring(0, l.indexOf('='))))
                .isSubsetOf(
                        "PATH",
                        "HOME",
                        "LANG",
                        "TMPDIR",
                        "PYTHONDONTWRITEBYTECODE",
                        "PYTHONUNBUFFERED",
                        "PYTHONPATH",
                        "PWD",
                        "SHLVL",
                        "_",
                        "OLDPWD");
        assertThat(sections[1]).isBlank();
        System.getenv().forEach((name, value) -> {
            if (value.length() >= 6
                    && !List.of("C.UTF-8", "/usr/local/bin:/usr/bin:/bin").contains(value)) {
                assertThat(result.stdout()).as("host variable %s", name).doesNotContain(name + "=" + value);
            }
        });
        // the worker's processes are not visible at all: a new PID namespace
        assertThat(sections[3].lines().filter(l -> l.matches("[0-9]+")).map(Integer::parseInt))
                .allMatch(pid -> pid < 50);
    }

    @Test
    void shouldNotReachTheNetworkWhenCodeConnectsToLoopbackPort() throws Exception {
        // Given a listening port on the host's loopback (like the broker's)
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(500);
            int port = server.getLocalPort();

            // When the code tries to connect, by Python and by bash's /dev/tcp, and to resolve a name
            SandboxResult python = sandbox.run(Language.PYTHON, """
                    import socket
                    for host in ("127.0.0.1", "localhost"):
                        try:
                            socket.create_connection((host, %d), timeout=2)
                            print("CONNECTED", host)
                        except OSError as e:
                            print("refused", host, e)
                    try:
                        socket.getaddrinfo("example.org", 80)
                        print("RESOLVED")
                    except OSError as e:
                        print("no dns", e)
                    """.formatted(port), List.of(), Duration.ofSeconds(20));
            SandboxResult bash = bash("echo hi > /dev/tcp/127.0.0.1/" + port + " && echo CONNECTED; ip addr 2>&1;"
                    + " cat /proc/net/dev");

            // Then nothing connected and no connection reached the host's port
            assertThat(all(python))
                    .doesNotContain("CONNECTED")
                    .doesNotContain("RESOLVED")
                    .contains("refused");
            assertThat(all(bash)).doesNotContain("CONNECTED").doesNotContain("eth0");
            assertThatThrownBy(server::accept).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void shouldStopAForkBombWithoutHarmingTheHost() {
        // When the code runs a fork bomb
        SandboxResult result = sandbox.run(
                Language.BASH, "bomb() { bomb | bomb & }; bomb; sleep 3; echo alive", List.of(), Duration.ofSeconds(8));

        // Then it hits the process limit or the wall clock, and every one of its processes is gone
        assertThat(result.durationMs()).isLessThan(15_000);
        assertThat(noSandboxProcessesLeft()).isTrue();
        assertThat(ProcessHandle.current().isAlive()).isTrue();
    }

    @Test
    void shouldReportMemoryLimitWhenCodeAllocatesWithoutEnd() {
        // When the code allocates far more than its limit
        SandboxResult result = sandbox.run(
                Language.PYTHON,
                "x = []\nwhile True:\n    x.append(bytearray(64 << 20))",
                List.of(),
                Duration.ofSeconds(20));

        // Then the allocation fails inside the sandbox and the limit is reported
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.limitHit()).contains(SandboxResult.MEMORY);
        assertThat(result.stderr()).contains("MemoryError");
    }

    @Test
    void shouldStopAMemoryBombSpreadOverManyProcessesWhenTheMemoryCgroupIsAvailable() {
        // Given a 256 MiB limit, on a host that gives the sandbox a memory cgroup (a property of the host, not a
        // package: a host without one skips this test, except on CI, where it fails; the sandbox's result says which
        // limit applied, see BubblewrapCgroupTest)
        try (BubblewrapSandbox small =
                BubblewrapSandbox.create(SandboxLimits.defaults().withMemoryMiB(256))) {
            MemoryLimit memory = small.run(Language.BASH, "true", List.of(), Duration.ofSeconds(20))
                    .memoryLimit();
            Prerequisites.require(
                    "a memory cgroup for the sandbox (v1 as root, or a delegated v2 subtree)",
                    memory.coversAllProcesses() ? Optional.empty() : Optional.of("memory is limited per process only"));
            // When six processes each fill 150 MiB (each under its own limit, together far over it)
            SandboxResult result = small.run(Language.PYTHON, """
                    import os, time
                    for i in range(6):
                        if os.fork() == 0:
                            data = b"x" * (150 << 20)
                            time.sleep(5)
                            os._exit(0)
                    killed = sum(1 for i in range(6) if os.wait()[1] == 9)
                    print("killed", killed)
                    """, List.of(), Duration.ofSeconds(20));

            // Then the kernel's OOM killer stops them as one group, and the limit is reported
            assertThat(result.limitHit()).contains(SandboxResult.MEMORY);
            assertThat(result.stdout()).containsPattern("killed [1-6]");
        }
    }

    @Test
    void shouldStopCpuSpinAtTheCpuLimit() {
        // Given a sandbox with a 1 s CPU limit
        try (BubblewrapSandbox small =
                BubblewrapSandbox.create(SandboxLimits.defaults().withCpuSeconds(1))) {
            // When the code spins
            SandboxResult result = small.run(Language.PYTHON, "while True: pass", List.of(), Duration.ofSeconds(20));

            // Then the kernel stops it at the CPU limit, long before the wall clock
            assertThat(result.limitHit()).contains(SandboxResult.CPU);
            // (the CPU time wait4 reports can fall short of what the kernel counted against the limit: seen 866 and
            // 897 ms for this 1 s limit at load average 11-13)
            assertThat(result.cpuMs().orElse(-1)).isBetween(750L, 3000L);
            assertThat(result.durationMs()).isLessThan(10_000);
        }
    }

    @Test
    void shouldStopAnEndlessLoopAtTheWallClock() {
        // When the code sleeps forever (no CPU used) past the call's timeout
        SandboxResult result = sandbox.run(Language.BASH, "sleep 1000", List.of(), Duration.ofSeconds(1));

        // Then it is killed at the wall-clock limit
        assertThat(result.limitHit()).contains(SandboxResult.WALL_CLOCK);
        assertThat(result.exitCode()).isEqualTo(-1);
        assertThat(result.durationMs()).isBetween(900L, 5000L);
        assertThat(noSandboxProcessesLeft()).isTrue();
    }

    @Test
    void shouldStopDiskFillAtTheFileSizeAndWorkspaceLimits() {
        // Given limits of 4 MiB per file and 8 MiB of workspace
        SandboxLimits limits = new SandboxLimits(10, 1024, 64, 4, 256, 20, 64, 8, 1000, 256);
        try (BubblewrapSandbox small = BubblewrapSandbox.create(limits)) {
            // When one file grows without end
            SandboxResult oneFile =
                    small.run(Language.BASH, "cat /dev/zero > big; echo done $?", List.of(), Duration.ofSeconds(20));
            // and when many files together outgrow the workspace
            SandboxResult manyFiles = small.run(
                    Language.BASH,
                    "for i in $(seq 1 100); do head -c 3000000 /dev/zero > f$i; done; sleep 5",
                    List.of(),
                    Duration.ofSeconds(20));
            // and when /tmp is filled
            SandboxResult tmp = small.run(
                    Language.BASH,
                    "for i in $(seq 1 100); do head -c 3000000 /dev/zero > /tmp/f$i || exit 7; done",
                    List.of(),
                    Duration.ofSeconds(20));

            // Then each is stopped, and no file change is returned for the overfull workspace
            assertThat(oneFile.limitHit()).contains(SandboxResult.FILE_SIZE);
            assertThat(oneFile.fileChanges())
                    .singleElement()
                    .satisfies(change ->
                            assertThat(change.getContent().remaining()).isEqualTo(4 * 1024 * 1024));
            assertThat(manyFiles.limitHit()).contains(SandboxResult.WORKSPACE_SIZE);
            assertThat(manyFiles.fileChanges()).isEmpty();
            assertThat(tmp.exitCode()).isEqualTo(7);
            assertThat(tmp.stderr()).contains("No space left on device");
        }
    }

    @Test
    void shouldDropChangesWhenTheyCannotFitOneResult() {
        // When the code writes more than one work result may carry (16 MiB), within the workspace limit
        SandboxResult result = bash("head -c 9000000 /dev/zero > a; head -c 9000000 /dev/zero > b; echo written");

        // Then no change comes back, and the model is told why
        assertThat(result.stdout()).contains("written");
        assertThat(result.fileChanges()).isEmpty();
        assertThat(result.limitHit()).contains(SandboxResult.WORKSPACE_SIZE);
        assertThat(result.stderr()).contains("more than the 16777216 one result may carry");
    }

    @Test
    void shouldNotWriteOutsideTheWorkspace() throws IOException {
        // Given a canary directory on the host
        Path canary = hostDir.resolve("canary");
        Files.writeString(canary, "unchanged");

        // When the code writes everywhere it can think of
        SandboxResult result = bash("for d in / /usr /usr/bin /etc /bin /proc /dev /.agentlog " + hostDir
                + "; do echo pwned > $d/pwned-marker && echo WROTE $d; done; echo x > " + canary + " && echo WROTE;"
                + " echo fine > /tmp/ok && echo TMP-OK; echo fine > ok && echo WS-OK");

        // Then only /tmp (private) and the workspace took writes; the host has no marker
        assertThat(result.stdout()).doesNotContain("WROTE").contains("TMP-OK", "WS-OK");
        assertThat(result.stderr()).contains("Read-only file system");
        assertThat(Files.readString(canary)).isEqualTo("unchanged");
        for (String dir : List.of("/", "/usr", "/usr/bin", "/etc", "/bin", hostDir.toString())) {
            assertThat(Path.of(dir, "pwned-marker")).doesNotExist();
        }
        assertThat(result.fileChanges()).extracting(FileChange::getPath).containsExactly("ok");
    }

    @Test
    void shouldIgnoreSymlinksAndHardLinksOutOfTheWorkspaceInReturnedChanges() {
        // When the code plants links that point out of the workspace
        SandboxResult result = bash("ln -s /etc/passwd passwd-link; ln -s ../../../../ up; ln -s /proc/1/root rootlink;"
                + " ln /usr/bin/bash hard 2>&1; mkfifo fifo; mkdir -p sub && ln -s /etc sub/etc; echo ok > real");

        // Then only the regular file comes back; no link was followed
        assertThat(result.fileChanges()).extracting(FileChange::getPath).containsExactly("real");
        assertThat(result.stdout()).contains("Invalid cross-device link");
    }

    @Test
    void shouldNotReadThroughALinkSwappedInByALeftoverProcess() throws IOException {
        // Given a secret directory on the host
        Path secrets = hostDir.resolve("secrets");
        Files.createDirectories(secrets);
        Files.writeString(secrets.resolve("f"), "host-secret-1618");

        // When the code leaves a process that keeps swapping a workspace directory for a link to it
        SandboxResult result = bash("mkdir d && echo mine > d/f; (setsid sh -c 'while true; do mv d d2; ln -s "
                + secrets + " d; rm d; mv d2 d; done' </dev/null >/dev/null 2>&1 &); sleep 0.2");

        // Then the workspace is read only after that process is gone: no host content comes back
        assertThat(result.fileChanges())
                .allSatisfy(change -> assertThat(
                                change.getContent() == null
                                        ? ""
                                        : StandardCharsets.UTF_8
                                                .decode(change.getContent().duplicate())
                                                .toString())
                        .doesNotContain("host-secret-1618"));
        // the swapping stopped at some point: the real file is at d/f or d2/f
        assertThat(result.fileChanges())
                .extracting(FileChange::getPath)
                .containsAnyOf("d/f", "d2/f")
                .hasSize(1);
    }

    @Test
    void shouldRejectInputPathsThatLeaveTheWorkspace() {
        // When the call's files name paths outside the workspace
        for (String path : List.of("../escape", "/etc/cron.d/x", "a/../../b", "a//b", "./a")) {
            FileChange file = new FileChange(path, ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)));

            // Then nothing runs
            assertThatThrownBy(() -> sandbox.run(Language.BASH, "true", List.of(file), Duration.ofSeconds(5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(path);
        }
        // and when a path is both a file and a directory
        List<FileChange> clash = List.of(
                new FileChange("a", ByteBuffer.wrap(new byte[] {1})),
                new FileChange("a/b", ByteBuffer.wrap(new byte[] {2})));
        assertThatThrownBy(() -> sandbox.run(Language.BASH, "true", clash, Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a/b' clashes");
    }

    @Test
    void shouldGainNoPrivilegeWhenCodeTriesSetuidNamespacesMountsAndPtrace() {
        // When the code tries setuid binaries, new namespaces, mounts and ptrace
        SandboxResult result = sandbox.run(Language.PYTHON, """
                import ctypes, os, subprocess
                libc = ctypes.CDLL(None, use_errno=True)
                def attempt(name, fn):
                    rc = fn()
                    print(name, "OK" if rc == 0 else "denied errno=%d" % ctypes.get_errno())
                attempt("unshare-user", lambda: libc.unshare(0x10000000))
                attempt("unshare-mount", lambda: libc.unshare(0x00020000))
                attempt("unshare-net", lambda: libc.unshare(0x40000000))
                attempt("mount", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
                attempt("ptrace", lambda: libc.ptrace(16, 1, 0, 0))
                attempt("setuid0", lambda: libc.setuid(0))
                attempt("chroot", lambda: libc.chroot(b"/tmp"))
                attempt("keyctl", lambda: libc.syscall(250, 0, 0, 0, 0))
                attempt("bpf", lambda: libc.syscall(321, 0, 0, 0))
                attempt("personality", lambda: libc.personality(0x0040000) if libc.personality(0x0040000) < 0 else 0)
                for cmd in (["su", "-c", "id -u", "root"], ["sudo", "id"], ["unshare", "-r", "id"],
                            ["mount", "-t", "tmpfs", "none", "/tmp"], ["newgrp"]):
                    try:
                        r = subprocess.run(cmd, capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL)
                        print(cmd[0], "exit", r.returncode, r.stdout.strip()[:80])
                    except Exception as e:
                        print(cmd[0], "failed", type(e).__name__)
                caps = open("/proc/self/status").read().split("CapEff:")[1].split()[0]
                print("uid", os.getuid(), os.geteuid(), "caps", caps)
                """, List.of(), Duration.ofSeconds(20));

        // Then every attempt was denied and the code is still uid 65534 with no capabilities
        String out = result.stdout();
        for (String call : List.of(
                "unshare-user",
                "unshare-mount",
                "unshare-net",
                "mount",
                "ptrace",
                "setuid0",
                "chroot",
                "keyctl",
                "bpf",
                "personality")) {
            assertThat(out).as(call).containsPattern("(?m)^" + call + " denied");
        }
        assertThat(out).doesNotContainPattern("(?m)^(su|sudo|unshare|mount|newgrp) exit 0");
        assertThat(out).contains("uid 65534 65534 caps 0000000000000000");
    }

    @Test
    void shouldKillADaemonisedGrandchildWhenTheExecutionEnds() {
        // When the code leaves daemons behind, one past the timeout and one after a normal exit
        SandboxResult timedOut = sandbox.run(
                Language.BASH,
                "(setsid sleep 397.1 </dev/null >/dev/null 2>&1 &); nohup sleep 397.2 >/dev/null 2>&1 & sleep 100",
                List.of(),
                Duration.ofSeconds(1));
        SandboxResult exited = sandbox.run(
                Language.BASH,
                "(setsid sleep 397.3 </dev/null >/dev/null 2>&1 &); disown -a; echo left",
                List.of(),
                Duration.ofSeconds(10));

        // Then no process of either survives
        assertThat(timedOut.limitHit()).contains(SandboxResult.WALL_CLOCK);
        assertThat(exited.stdout()).contains("left");
        assertThat(ProcessHandle.allProcesses()
                        .map(p -> p.info().commandLine().orElse(""))
                        .filter(cmd -> cmd.contains("sleep 397.")))
                .isEmpty();
    }

    @Test
    void shouldNotKillHostProcessesWhenCodeRunsKillMinusOne() throws Exception {
        // Given a host process
        Process host = new ProcessBuilder("sleep", "60").start();
        try {
            // When the code signals every process it may
            SandboxResult result = bash("kill -9 -1; kill -9 " + host.pid() + "; echo still");

            // Then the host process and the worker live on
            assertThat(host.isAlive()).isTrue();
            assertThat(ProcessHandle.current().isAlive()).isTrue();
            assertThat(result.durationMs()).isLessThan(10_000);
        } finally {
            host.destroyForcibly();
        }
    }

    @Test
    void shouldCapOutputWhenCodeFloodsStdoutAndStderr() {
        // When the code writes hundreds of megabytes to both streams
        SandboxResult result = bash(
                "head -c 200000000 /dev/zero | tr '\\0' a & head -c 200000000 /dev/zero" + " | tr '\\0' b >&2; wait");

        // Then each stream is cut at the limit and the limit is reported
        assertThat(result.stdout().length()).isEqualTo(SandboxLimits.DEFAULT_OUTPUT_KIB * 1024);
        assertThat(result.stderr().length()).isLessThanOrEqualTo(SandboxLimits.DEFAULT_OUTPUT_KIB * 1024 + 200);
        assertThat(result.limitHit()).contains(SandboxResult.OUTPUT);
    }

    @Test
    void shouldKeepTwoSessionsApartWhenTheyRunAtOnce() throws Exception {
        // Given two sessions' workspaces with their own secrets
        FileChange secretA = new FileChange("secret-a.txt", ByteBuffer.wrap("alpha-7731".getBytes()));
        FileChange secretB = new FileChange("secret-b.txt", ByteBuffer.wrap("bravo-9923".getBytes()));
        String snoop = "sleep 1; find / -xdev -name 'secret-*' 2>/dev/null; find / -name 'mine-*' -not -path '/proc/*'"
                + " 2>/dev/null; grep -r -s -l -D skip -e alpha-7731 -e bravo-9923 /workspace /tmp /dev /.agentlog";
        AtomicInteger started = new AtomicInteger();

        // When both run at the same time and search the whole file system for the other's secret
        CompletableFuture<SandboxResult> a = CompletableFuture.supplyAsync(() -> {
            started.incrementAndGet();
            return sandbox.run(
                    Language.BASH, "echo a > /tmp/mine-a; " + snoop, List.of(secretA), Duration.ofSeconds(20));
        });
        CompletableFuture<SandboxResult> b = CompletableFuture.supplyAsync(() -> {
            started.incrementAndGet();
            return sandbox.run(
                    Language.BASH, "echo b > /tmp/mine-b; " + snoop, List.of(secretB), Duration.ofSeconds(20));
        });

        // Then each finds only its own
        SandboxResult resultA = a.get();
        SandboxResult resultB = b.get();
        assertThat(resultA.stdout())
                .contains("/workspace/secret-a.txt", "/tmp/mine-a")
                .doesNotContain("secret-b", "mine-b");
        assertThat(resultB.stdout())
                .contains("/workspace/secret-b.txt", "/tmp/mine-b")
                .doesNotContain("secret-a", "mine-a");
    }

    /**
     * No code execution of this JVM is left: no bwrap below it that runs the sandbox's init (every process of an
     * execution lives in bwrap's PID namespace, which ends with it). Only this JVM's descendants count: other builds on
     * the machine run sandboxes too, and the JavaScript tier's child JVMs run in bwrap without the init.
     */
    private static boolean noSandboxProcessesLeft() {
        return ProcessHandle.current()
                .descendants()
                .filter(p -> p.info().command().orElse("").endsWith("/bwrap"))
                .noneMatch(
                        p -> List.of(p.info().arguments().orElse(new String[0])).contains("/.agentlog/run.py"));
    }
}
