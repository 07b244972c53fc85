package io.agentlog.worker.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.worker.sandbox.GroupMemoryLimit.ExecutionGroup;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs bash, Python 3 and Node.js code in a bubblewrap ({@code bwrap}) sandbox, one fresh sandbox per execution.
 *
 * <p>Each execution gets: every namespace unshared (user, mount, PID, network, IPC, UTS, cgroup) and no further user
 * namespaces; uid/gid 65534 with no capabilities (when the worker is root it drops to 65534 with {@code setpriv}
 * before starting {@code bwrap}, so the kernel sees an unprivileged user and enforces the process limit); an empty
 * environment but a minimal {@code PATH}, {@code HOME} and {@code LANG}; read-only {@code /usr} (and the
 * {@code /bin}, {@code /lib*} links), a new {@code /proc} and a minimal {@code /dev}, a size-capped tmpfs
 * {@code /tmp}, and {@code /workspace}: a writable bind of a fresh host directory holding the session's files;
 * a seccomp filter (compiled at start from {@code seccomp.py} with libseccomp); and the rlimits of
 * {@link SandboxLimits}, set by a small init ({@code run.py}) on the program only. A watchdog kills the whole tree at
 * the wall-clock limit or when the workspace outgrows its cap (bwrap runs with {@code --die-with-parent}, and the end
 * of its PID namespace kills every process in it, daemons included). Output is read to the end and capped.
 *
 * <p>At first use it checks itself (bwrap present, filter compiled, a trivial script runs as uid 65534). If anything
 * is missing, every execution throws {@link SandboxUnavailableException}: code is never run unsandboxed.
 *
 * <p>Thread-safe; executions run concurrently, each in its own sandbox.
 */
public final class BubblewrapSandbox implements CodeSandbox {

    public static final String TIER = "bubblewrap";
    public static final int SANDBOX_UID = 65534;
    static final String WORKSPACE = "/workspace";

    private static final Logger log = LoggerFactory.getLogger(BubblewrapSandbox.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WATCH_INTERVAL = Duration.ofMillis(100);
    private static final List<String> MEMORY_MESSAGES = List.of(
            "MemoryError",
            "Cannot allocate memory",
            "out of memory",
            "Fatal process OOM",
            "std::bad_alloc",
            "JavaScript heap out of memory",
            "allocation failed");
    private static final List<String> PROCESS_MESSAGES =
            List.of("fork: retry", "fork: Resource temporarily unavailable", "BlockingIOError: [Errno 11]");

    /** Changed files one result may carry: they travel in one work result of at most 20 MiB. */
    public static final long MAX_CHANGED_BYTES = 16L * 1024 * 1024;

    static final List<String> BINARY_DIRS = List.of("/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin");

    private final SandboxLimits limits;
    private final List<String> binaryDirs;
    private final CgroupHost cgroups;
    private final Object setupLock = new Object();
    private final java.util.concurrent.ConcurrentHashMap<Path, Path> stagedPaths =
            new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Setup setup;

    private BubblewrapSandbox(SandboxLimits limits, List<String> binaryDirs, CgroupHost cgroups) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.binaryDirs = List.copyOf(binaryDirs);
        this.cgroups = Objects.requireNonNull(cgroups, "cgroups");
    }

    /** A sandbox with these limits; it checks itself at first use. */
    public static BubblewrapSandbox create(SandboxLimits limits) {
        return new BubblewrapSandbox(limits, BINARY_DIRS, CgroupHost.HOST);
    }

    /** For tests: looks for {@code bwrap} and {@code setpriv} only in {@code binaryDirs}. */
    static BubblewrapSandbox create(SandboxLimits limits, List<String> binaryDirs) {
        return new BubblewrapSandbox(limits, binaryDirs, CgroupHost.HOST);
    }

    /** For tests: finds the memory cgroups in {@code cgroups} (e.g. a directory tree that mimics cgroup v2). */
    static BubblewrapSandbox create(SandboxLimits limits, CgroupHost cgroups) {
        return new BubblewrapSandbox(limits, BINARY_DIRS, cgroups);
    }

    @Override
    public String tier() {
        return TIER;
    }

    @Override
    public SandboxLimits limits() {
        return limits;
    }

    /** Why this sandbox cannot run code, or empty when it can. Runs the self-check the first time. */
    @Override
    public Optional<String> unavailableReason() {
        Setup current = setup();
        return current.ready() ? Optional.empty() : Optional.of(current.unavailable());
    }

    /**
     * Runs {@code code} with a copy of {@code files} as the working directory, for at most {@code timeout} (and never
     * longer than the configured wall-clock limit), and returns what happened, including the changed files.
     *
     * @throws SandboxUnavailableException when the sandbox cannot run code here; nothing was run
     * @throws IllegalArgumentException when a file path is not a relative workspace path
     */
    @Override
    public SandboxResult run(Language language, String code, List<FileChange> files, Duration timeout) {
        Setup ready = setup();
        if (!ready.ready()) {
            throw new SandboxUnavailableException(ready.unavailable());
        }
        return run(ready, language, code, files, timeout);
    }

    private SandboxResult run(Setup ready, Language language, String code, List<FileChange> files, Duration timeout) {
        Objects.requireNonNull(code, "code");
        Command command = switch (Objects.requireNonNull(language, "language")) {
            case BASH -> new Command("main.sh", List.of("/bin/bash"));
            case PYTHON -> new Command("main.py", List.of("/usr/bin/python3"));
            case NODE -> new Command("main.js", List.of("/usr/bin/node"));
            case JAVASCRIPT ->
                throw new IllegalArgumentException(
                        "JavaScript (GraalJS) runs in GraalJsSandbox, not in bubblewrap; use Language.NODE for Node.js");
        };
        Duration limit =
                timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(limits.wallClock()) > 0
                        ? limits.wallClock()
                        : timeout;
        Path execDir = ready.baseDir().resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectory(execDir);
            Files.setPosixFilePermissions(execDir, PosixFilePermissions.fromString("rwx--x--x"));
            Path codeFile = execDir.resolve(command.fileName());
            Files.writeString(codeFile, code, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(codeFile, PosixFilePermissions.fromString("rw-r--r--"));
            Workspace workspace = Workspace.create(
                    execDir.resolve("workspace"), files, ready.root() ? Optional.of(SANDBOX_UID) : Optional.empty());
            return execute(ready, execDir, codeFile, command, workspace, limit);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a sandbox execution in " + execDir, e);
        } finally {
            new Workspace.Deleter(execDir).run();
        }
    }

    private SandboxResult execute(
            Setup ready, Path execDir, Path codeFile, Command command, Workspace workspace, Duration limit)
            throws IOException {
        Optional<ExecutionGroup> group;
        try {
            group = ready.memory()
                    .open(execDir.getFileName().toString(), limits.memoryMiB() * 1024L * 1024L, limits.processes());
        } catch (IOException e) {
            log.warn(
                    "Cannot create the memory cgroup of execution {} ({}); it is limited per process only",
                    execDir.getFileName(),
                    e.toString());
            group = Optional.empty();
        }
        try {
            return execute(ready, execDir, codeFile, command, workspace, limit, group);
        } finally {
            group.ifPresent(ExecutionGroup::close);
        }
    }

    private SandboxResult execute(
            Setup ready,
            Path execDir,
            Path codeFile,
            Command command,
            Workspace workspace,
            Duration limit,
            Optional<ExecutionGroup> group)
            throws IOException {
        Path status = execDir.resolve("status.json");
        Path info = execDir.resolve("bwrap-info.json");
        List<String> argv =
                commandLine(ready, status, info, codeFile, command, workspace.root(), group.map(ExecutionGroup::dir));
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().clear(); // bwrap's own PID 1 is visible inside: it must hold no secrets
        builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        long start = System.nanoTime();
        Process process = builder.start();
        CappedOutput stdout = new CappedOutput(process.getInputStream(), limits.outputBytes(), "sandbox-stdout");
        CappedOutput stderr = new CappedOutput(process.getErrorStream(), limits.outputBytes(), "sandbox-stderr");
        Optional<String> stoppedBy = Optional.empty();
        long deadline = start + limit.toNanos();
        try {
            while (!process.waitFor(WATCH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
                if (System.nanoTime() - deadline >= 0) {
                    stoppedBy = Optional.of(SandboxResult.WALL_CLOCK);
                } else if (workspace.size() > limits.workspaceBytes()) {
                    stoppedBy = Optional.of(SandboxResult.WORKSPACE_SIZE);
                }
                if (stoppedBy.isPresent()) {
                    kill(process);
                    break;
                }
            }
            process.waitFor();
            // bwrap may exit as soon as the program does, a moment before its PID 1 and with it every process left
            // in the sandbox: the workspace is read only once they are all gone
            awaitSandboxEnd(ready, info);
            stdout.await(2000);
            stderr.await(2000);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running sandboxed code (the worker is stopping)", e);
        }
        long durationMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
        Optional<JsonNode> report = readJson(status, true);
        int exitCode = stoppedBy.isPresent() ? -1 : process.exitValue();
        OptionalLong cpuMs = longField(report, "cpuMs");
        OptionalLong maxRss = longField(report, "maxRssKiB");
        Optional<String> limitHit = stoppedBy
                .or(() -> group.map(ExecutionGroup::oomKills).orElse(0L) > 0
                        ? Optional.of(SandboxResult.MEMORY)
                        : Optional.empty())
                .or(() -> limitFromExit(report, cpuMs, stderr.text()))
                .or(() -> stdout.truncated() || stderr.truncated()
                        ? Optional.of(SandboxResult.OUTPUT)
                        : Optional.empty());
        if (workspace.size() > limits.workspaceBytes()) {
            limitHit = Optional.of(SandboxResult.WORKSPACE_SIZE);
        }
        List<FileChange> changes = List.of();
        String dropped = null;
        if (found(limitHit, SandboxResult.WORKSPACE_SIZE)) {
            dropped = "the workspace outgrew " + limits.workspaceMiB() + " MiB";
        } else {
            Optional<List<FileChange>> found = workspace.changes(limits.workspaceBytes());
            if (found.isEmpty()) {
                dropped = "the workspace outgrew " + limits.workspaceMiB() + " MiB";
            } else if (changedBytes(found.get()) > MAX_CHANGED_BYTES) {
                dropped = "the changed files total " + changedBytes(found.get()) + " bytes, more than the "
                        + MAX_CHANGED_BYTES + " one result may carry";
            } else {
                changes = found.get();
            }
        }
        String stderrText = stderr.text();
        if (dropped != null) {
            limitHit = Optional.of(SandboxResult.WORKSPACE_SIZE);
            stderrText += (stderrText.isEmpty() || stderrText.endsWith("\n") ? "" : "\n") + "[sandbox: " + dropped
                    + "; its changes were dropped]\n";
        }
        return new SandboxResult(
                TIER,
                exitCode,
                stdout.text(),
                stderrText,
                Optional.empty(),
                changes,
                durationMs,
                cpuMs,
                maxRss,
                limitHit,
                group.isPresent() ? ready.memory().scope() : MemoryLimit.PER_PROCESS);
    }

    private static long changedBytes(List<FileChange> changes) {
        return changes.stream()
                .mapToLong(c -> c.getContent() == null ? 0 : c.getContent().remaining())
                .sum();
    }

    private static boolean found(Optional<String> limitHit, String limit) {
        return limitHit.isPresent() && limitHit.get().equals(limit);
    }

    private Optional<String> limitFromExit(Optional<JsonNode> report, OptionalLong cpuMs, String stderr) {
        if (report.isEmpty()) {
            return Optional.empty();
        }
        JsonNode signal = report.get().get("signal");
        int sig = signal == null || signal.isNull() ? 0 : signal.asInt();
        if (sig == 24 || (sig == 9 && cpuMs.isPresent() && cpuMs.getAsLong() >= limits.cpuSeconds() * 1000L - 50)) {
            return Optional.of(SandboxResult.CPU); // SIGXCPU at the soft limit, SIGKILL at the hard one
        }
        if (sig == 25 || stderr.contains("File size limit exceeded") || stderr.contains("File too large")) {
            return Optional.of(SandboxResult.FILE_SIZE); // SIGXFSZ
        }
        JsonNode exit = report.get().get("exit");
        boolean failed = sig != 0 || (exit != null && !exit.isNull() && exit.asInt() != 0);
        if (failed && MEMORY_MESSAGES.stream().anyMatch(stderr::contains)) {
            return Optional.of(SandboxResult.MEMORY);
        }
        if (PROCESS_MESSAGES.stream().anyMatch(stderr::contains)) {
            return Optional.of(SandboxResult.PROCESSES);
        }
        return Optional.empty();
    }

    /**
     * The command line that runs {@code command} (e.g. a child JVM) in this sandbox's confinement, without the
     * per-execution workspace and rlimits: every namespace unshared, uid 65534 without capabilities, an empty
     * environment, read-only {@code /usr} plus {@code readOnlyPaths} (files or directories, bound at the same path),
     * a private {@code /tmp}, the seccomp filter. Its stdin, stdout and stderr are the caller's pipes. Empty when this
     * sandbox is unavailable.
     */
    public Optional<List<String>> confine(List<String> command, List<Path> readOnlyPaths) {
        Setup ready = setup();
        if (!ready.ready()) {
            return Optional.empty();
        }
        List<String> argv = new ArrayList<>(List.of(
                "/bin/sh",
                "-c",
                "exec 4<\"$1\" && shift && exec /usr/bin/env -i \"$@\"",
                "sh",
                ready.seccompFilter().toString()));
        argv.addAll(confinement(ready, "/tmp"));
        argv.addAll(ready.systemMounts());
        // /tmp first, so that class path entries below /tmp are bound on top of it, not hidden by it
        argv.addAll(List.of(
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                "--size",
                Long.toString(limits.workspaceBytes()),
                "--tmpfs",
                "/tmp"));
        for (Path path : readOnlyPaths) {
            Path absolute = path.toAbsolutePath().normalize();
            if (absolute.startsWith("/usr") || !Files.exists(absolute)) {
                continue;
            }
            // as root, bwrap runs as uid 65534 and may not reach e.g. /root/.m2: bind a readable copy at the same path
            Path source = ready.root() ? staged(ready, absolute) : absolute;
            argv.addAll(List.of("--ro-bind", source.toString(), absolute.toString()));
        }
        argv.addAll(List.of("--chdir", "/tmp", "--remount-ro", "/dev", "--remount-ro", "/", "--seccomp", "4", "--"));
        argv.addAll(command);
        return Optional.of(argv);
    }

    /**
     * A copy of {@code path} (a file or a directory tree) that the sandbox user can read: hard links where the file is
     * world-readable, copies otherwise. Made once per path.
     */
    private Path staged(Setup ready, Path path) {
        return stagedPaths.computeIfAbsent(path, original -> {
            Path target = ready.baseDir().resolve("ro").resolve(Integer.toString(stagedPaths.size()));
            try {
                Files.createDirectories(target.getParent());
                Files.setPosixFilePermissions(target.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
                if (Files.isDirectory(original)) {
                    try (var files = Files.walk(original)) {
                        for (Path file : (Iterable<Path>) files::iterator) {
                            stageOne(
                                    file,
                                    target.resolve(original.relativize(file).toString()));
                        }
                    }
                } else {
                    stageOne(original, target);
                }
                return target;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot stage " + original + " for the sandbox", e);
            }
        });
    }

    private static void stageOne(Path file, Path target) throws IOException {
        if (Files.isDirectory(file)) {
            Files.createDirectories(target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            return;
        }
        if (!Files.isRegularFile(file)) {
            return;
        }
        boolean worldReadable =
                Files.getPosixFilePermissions(file).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
        try {
            if (!worldReadable) {
                throw new IOException("not world-readable: copy it");
            }
            Files.createLink(target, file);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private List<String> commandLine(
            Setup ready,
            Path status,
            Path info,
            Path codeFile,
            Command command,
            Path workspace,
            Optional<Path> cgroup) {
        List<String> argv = new ArrayList<>();
        // sh (as the worker's user) joins the execution's memory cgroup (so bwrap, the sandbox's init and every later
        // process are in it from their start: nothing runs before the limit holds), opens the
        // status file as fd 3, the seccomp filter as fd 4 and bwrap's info file (the host pid of the sandbox's PID 1)
        // as fd 5, then execs on with an empty environment
        argv.addAll(List.of(
                "/bin/sh",
                "-c",
                "{ [ \"$4\" = - ] || echo $$ > \"$4/cgroup.procs\"; } && exec 3>\"$1\" 4<\"$2\" 5>\"$3\""
                        + " && shift 4 && exec /usr/bin/env -i \"$@\"",
                "sh",
                status.toString(),
                ready.seccompFilter().toString(),
                info.toString(),
                cgroup.map(Path::toString).orElse("-")));
        argv.addAll(confinement(ready, WORKSPACE));
        argv.addAll(List.of(
                "--setenv",
                "TMPDIR",
                "/tmp",
                "--setenv",
                "PYTHONDONTWRITEBYTECODE",
                "1",
                "--setenv",
                "PYTHONUNBUFFERED",
                "1",
                "--setenv",
                "PYTHONPATH",
                WORKSPACE));
        argv.addAll(ready.systemMounts());
        argv.addAll(List.of(
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                "--size",
                Long.toString(limits.workspaceBytes()),
                "--tmpfs",
                "/tmp",
                "--ro-bind",
                ready.init().toString(),
                "/.agentlog/run.py",
                "--ro-bind",
                codeFile.toString(),
                "/.agentlog/" + command.fileName(),
                "--bind",
                workspace.toString(),
                WORKSPACE,
                "--chdir",
                WORKSPACE,
                // the root and /dev are bwrap's own tmpfs: read-only, so only /tmp and /workspace take writes
                "--remount-ro",
                "/dev",
                "--remount-ro",
                "/",
                "--seccomp",
                "4",
                "--info-fd",
                "5",
                "--",
                "/usr/bin/python3",
                "-I",
                "-S",
                "/.agentlog/run.py",
                Integer.toString(limits.cpuSeconds()),
                Long.toString(limits.memoryMiB() * 1024L * 1024L),
                Integer.toString(limits.processes()),
                Long.toString(limits.fileSizeMiB() * 1024L * 1024L),
                Integer.toString(limits.openFiles()),
                "--"));
        argv.addAll(command.interpreter());
        argv.add("/.agentlog/" + command.fileName());
        return argv;
    }

    /**
     * Waits until the sandbox's PID 1 (its host pid is in bwrap's info file) has exited, which the kernel allows only
     * after every other process of its PID namespace is gone; kills it if it lingers.
     */
    private static void awaitSandboxEnd(Setup ready, Path info) throws InterruptedException {
        OptionalLong pid = longField(readJson(info, false), "child-pid");
        if (pid.isEmpty()) {
            return; // bwrap never started the sandbox
        }
        Path proc = Path.of("/proc", Long.toString(pid.getAsLong()));
        long start = System.nanoTime();
        boolean killed = false;
        while (running(proc.resolve("stat"))) {
            long waited = System.nanoTime() - start;
            if (!killed && waited > Duration.ofSeconds(2).toNanos() && ownedBySandbox(ready, proc)) {
                ProcessHandle.of(pid.getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
                killed = true;
            }
            if (waited > Duration.ofSeconds(10).toNanos()) {
                throw new IllegalStateException("the sandbox's PID 1 (host pid " + pid.getAsLong() + ") did not end"
                        + " within 10 s; its workspace is not read");
            }
            Thread.sleep(2);
        }
    }

    /** The process runs as the sandbox's user (never kill anything else, whatever an info file says). */
    private static boolean ownedBySandbox(Setup ready, Path proc) {
        try {
            int uid = (Integer) Files.getAttribute(proc, "unix:uid");
            return uid
                    == (ready.root() ? SANDBOX_UID : (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** True while the process exists and is not a zombie. */
    private static boolean running(Path stat) {
        try {
            String text = Files.readString(stat);
            int close = text.lastIndexOf(')');
            return close > 0
                    && close + 2 < text.length()
                    && text.charAt(close + 2) != 'Z'
                    && text.charAt(close + 2) != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** A small JSON object from a file (its first line only, if asked), or empty when there is none. */
    private static Optional<JsonNode> readJson(Path file, boolean firstLine) {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            String text = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
            int newline = text.indexOf('\n');
            return Optional.of(JSON.readTree(firstLine && newline >= 0 ? text.substring(0, newline) : text))
                    .filter(JsonNode::isObject);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static OptionalLong longField(Optional<JsonNode> report, String name) {
        return report.map(r -> r.get(name))
                .filter(JsonNode::isNumber)
                .map(n -> OptionalLong.of(n.asLong()))
                .orElse(OptionalLong.empty());
    }

    private Setup setup() {
        Setup current = setup;
        if (current != null) {
            return current;
        }
        synchronized (setupLock) {
            if (setup == null) {
                Setup prepared = Setup.prepare(binaryDirs, cgroups);
                setup = prepared.ready() ? selfCheck(prepared) : prepared;
                if (!setup.ready()) {
                    log.error("The bubblewrap sandbox cannot run code on this host: {}", setup.unavailable());
                } else {
                    log.info(
                            "Bubblewrap sandbox ready ({}, worker is root: {}, memory cgroup: {}, limits {})",
                            setup.bwrap(),
                            setup.root(),
                            setup.memory().describe(),
                            limits);
                    if (setup.memory() instanceof GroupMemoryLimit.Absent absent) {
                        log.warn(
                                "The bubblewrap sandbox has NO group memory limit on this host: {}. Memory is limited"
                                        + " per process only ({} MiB of address space each, up to {} processes per"
                                        + " execution); see docs/sandbox.md, 'Known limits'",
                                absent.reason(),
                                limits.memoryMiB(),
                                limits.processes());
                    }
                }
            }
            return setup;
        }
    }

    private Setup selfCheck(Setup candidate) {
        try {
            SandboxResult result =
                    run(candidate, Language.BASH, "id -u; test ! -e /root", List.of(), Duration.ofSeconds(30));
            if (result.exitCode() != 0 || !result.stdout().strip().equals(Integer.toString(SANDBOX_UID))) {
                return candidate.failed("the self-check script did not run as uid " + SANDBOX_UID + " in an empty"
                        + " root (exit " + result.exitCode() + ", stdout '"
                        + result.stdout().strip() + "', stderr '"
                        + result.stderr().strip() + "'); check that user namespaces are enabled"
                        + " (sysctl user.max_user_namespaces) and that bwrap works: bwrap --unshare-all --ro-bind /usr"
                        + " /usr true");
            }
            return candidate;
        } catch (RuntimeException e) {
            return candidate.failed("the self-check could not run: " + e.getMessage());
        }
    }

    /** Removes this sandbox's files on the host. */
    @Override
    public void close() {
        Setup current = setup;
        if (current != null && current.baseDir() != null) {
            new Workspace.Deleter(current.baseDir()).run();
        }
    }

    private record Command(String fileName, List<String> interpreter) {}

    /** What an execution needs: found binaries, the compiled filter and the init script; or why it cannot run. */
    private record Setup(
            String unavailable,
            String bwrap,
            String setpriv,
            boolean root,
            Path baseDir,
            Path seccompFilter,
            Path init,
            List<String> systemMounts,
            GroupMemoryLimit memory) {

        boolean ready() {
            return unavailable == null;
        }

        Setup failed(String why) {
            return new Setup(why, bwrap, setpriv, root, baseDir, seccompFilter, init, systemMounts, memory);
        }

        static Setup unavailableBecause(String why) {
            return new Setup(why, null, null, false, null, null, null, List.of(), new GroupMemoryLimit.Absent(why));
        }

        static Setup prepare(List<String> binaryDirs, CgroupHost cgroups) {
            Optional<String> bwrap = executable("bwrap", binaryDirs);
            if (bwrap.isEmpty()) {
                return unavailableBecause("bwrap (bubblewrap) is not installed; install it with scripts/setup.sh"
                        + " (Debian package bubblewrap)");
            }
            if (!Files.isExecutable(Path.of("/usr/bin/python3"))) {
                return unavailableBecause("/usr/bin/python3 is missing (the sandbox's init is a Python script);"
                        + " install it with scripts/setup.sh");
            }
            boolean root = isRoot();
            Optional<String> setpriv = executable("setpriv", binaryDirs);
            if (root && setpriv.isEmpty()) {
                return unavailableBecause("the worker runs as root but setpriv (util-linux) is missing, so the"
                        + " sandbox could not drop to uid " + SANDBOX_UID);
            }
            Path baseDir;
            try {
                baseDir = Files.createTempDirectory("agentlog-sandbox-");
                // the sandbox user must reach its own execution directory, but not list the others
                Files.setPosixFilePermissions(baseDir, PosixFilePermissions.fromString("rwx--x--x"));
                Path init = baseDir.resolve("run.py");
                copyResource("run.py", init);
                Path compiler = baseDir.resolve("seccomp.py");
                copyResource("seccomp.py", compiler);
                Path filter = baseDir.resolve("seccomp.bpf");
                String failure = compileFilter(compiler, filter);
                if (failure != null) {
                    new Workspace.Deleter(baseDir).run();
                    return unavailableBecause("cannot compile the seccomp filter (python3-seccomp missing? install it"
                            + " with scripts/setup.sh): " + failure);
                }
                GroupMemoryLimit memory = GroupMemoryLimit.detect(cgroups, root);
                Runtime.getRuntime()
                        .addShutdownHook(new Thread(
                                () -> {
                                    new Workspace.Deleter(baseDir).run();
                                    memory.close();
                                },
                                "agentlog-sandbox-cleanup"));
                return new Setup(
                        null,
                        bwrap.get(),
                        setpriv.orElse(null),
                        root,
                        baseDir,
                        filter,
                        init,
                        findSystemMounts(),
                        memory);
            } catch (IOException e) {
                return unavailableBecause("cannot prepare the sandbox directory: " + e);
            }
        }

        private static String compileFilter(Path compiler, Path filter) {
            try {
                Process process = new ProcessBuilder("/usr/bin/python3", "-I", compiler.toString(), filter.toString())
                        .redirectErrorStream(true)
                        .start();
                byte[] output = process.getInputStream().readNBytes(4096);
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return "the compiler did not finish within 30 s";
                }
                if (process.exitValue() != 0 || !Files.isRegularFile(filter) || Files.size(filter) == 0) {
                    return new String(output, StandardCharsets.UTF_8).strip();
                }
                return null;
            } catch (IOException e) {
                return e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }

        /** Read-only binds of /usr and the top-level directories that are (or link into) it. */
        private static List<String> findSystemMounts() {
            List<String> mounts = new ArrayList<>(List.of("--ro-bind", "/usr", "/usr"));
            for (String dir : List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")) {
                Path path = Path.of(dir);
                try {
                    if (Files.isSymbolicLink(path)) {
                        mounts.addAll(List.of(
                                "--symlink", Files.readSymbolicLink(path).toString(), dir));
                    } else if (Files.isDirectory(path)) {
                        mounts.addAll(List.of("--ro-bind", dir, dir));
                    }
                } catch (IOException e) {
                    log.warn("Cannot inspect {} for the sandbox: {}", dir, e.toString());
                }
            }
            mounts.addAll(List.of(
                    "--ro-bind-try",
                    "/etc/alternatives",
                    "/etc/alternatives",
                    "--ro-bind-try",
                    "/etc/ld.so.cache",
                    "/etc/ld.so.cache"));
            return mounts;
        }

        private static void copyResource(String name, Path target) throws IOException {
            try (InputStream in = BubblewrapSandbox.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IOException("resource " + name + " is missing from the worker's jar");
                }
                Files.copy(in, target);
            }
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        }

        private static Optional<String> executable(String name, List<String> binaryDirs) {
            for (String dir : binaryDirs) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toString());
                }
            }
            return Optional.empty();
        }

        private static boolean isRoot() {
            try {
                return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
            } catch (IOException | UnsupportedOperationException e) {
                return System.getProperty("user.name", "")
                        .toLowerCase(Locale.ROOT)
                        .equals("root");
            }
        }
    }

    /**
     * The confinement every sandboxed process starts in, the same for each tier: as root, drop to the sandbox user
     * with no capabilities first (setpriv); then bwrap with every namespace unshared, no nested user namespaces, no
     * capabilities, a new session, dying with its parent, and an environment of PATH, HOME and LANG only (callers
     * add more variables after it).
     */
    private static List<String> confinement(Setup ready, String home) {
        List<String> argv = new ArrayList<>();
        if (ready.root()) {
            argv.addAll(List.of(
                    ready.setpriv(),
                    "--reuid=" + SANDBOX_UID,
                    "--regid=" + SANDBOX_UID,
                    "--clear-groups",
                    "--inh-caps=-all",
                    "--bounding-set=-all",
                    "--"));
        }
        argv.add(ready.bwrap());
        argv.addAll(List.of(
                "--unshare-all",
                "--unshare-user",
                "--disable-userns",
                "--uid",
                "" + SANDBOX_UID,
                "--gid",
                "" + SANDBOX_UID,
                "--cap-drop",
                "ALL",
                "--die-with-parent",
                "--new-session",
                "--hostname",
                "sandbox",
                "--clearenv",
                "--setenv",
                "PATH",
                "/usr/local/bin:/usr/bin:/bin",
                "--setenv",
                "HOME",
                home,
                "--setenv",
                "LANG",
                "C.UTF-8"));
        return argv;
    }
}
