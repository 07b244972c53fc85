package io.agentlog.worker.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory limit for all processes of one execution together, on top of each process's {@code RLIMIT_AS}: a memory
 * cgroup per execution, whose limit the kernel's OOM killer enforces, under a parent group of this worker
 * ({@code agentlog-sandbox-<pid>}); or {@link Absent}, with the reason, where the host offers no usable memory
 * controller, and then memory is limited per process only.
 *
 * <ul>
 *   <li>cgroup v1 (a {@code memory} controller under the mount point, written as root): {@code memory.limit_in_bytes}
 *       and {@code memory.memsw.limit_in_bytes}; OOM kills from {@code memory.oom_control}.
 *   <li>cgroup v2 (the unified hierarchy, or its {@code unified/} mount in hybrid mode when it holds the memory
 *       controller): a subtree delegated to the worker, which is its own cgroup (from {@code /proc/self/cgroup}).
 *       Since v2 lets only leaf groups hold processes, when that group holds the worker, the worker first moves itself
 *       into a leaf {@code agentlog-worker-<pid>} beside the sandboxes' parent. Each execution: {@code memory.max},
 *       {@code memory.swap.max = 0} and {@code pids.max} where those files exist; OOM kills from
 *       {@code memory.events}. Root is not needed where the subtree is delegated to the worker's user.
 * </ul>
 *
 * <p>The launcher of an execution writes its own pid into the group's {@code cgroup.procs} before it starts bwrap, so
 * the sandbox's init and every process after it are in the group from their first instruction.
 */
sealed interface GroupMemoryLimit {

    Logger log = LoggerFactory.getLogger(GroupMemoryLimit.class);

    /** Tasks (processes and threads) of an execution beyond the program's own: the launcher, bwrap, the init. */
    int LAUNCHER_TASKS = 16;

    /** What each execution's memory limit covers when its group could be made. */
    MemoryLimit scope();

    /** For the log at start: where the groups are, or why there are none. */
    String describe();

    /**
     * A new group named {@code name} for one execution, limited to {@code memoryBytes} (no swap) and, where the pids
     * controller is there, {@code processes} plus the launcher's tasks. Empty for {@link Absent}.
     *
     * @throws IOException when the group cannot be made; nothing is left behind
     */
    Optional<ExecutionGroup> open(String name, long memoryBytes, int processes) throws IOException;

    /** Removes the worker's parent group (at shutdown); quiet when it is gone already. */
    void close();

    /** Looks at the host's cgroups and prepares the parent group where a memory controller is usable. */
    static GroupMemoryLimit detect(CgroupHost host, boolean root) {
        Path mount = host.root();
        if (Files.isRegularFile(mount.resolve("cgroup.controllers"))) {
            return CgroupV2.prepare(host, mount); // unified mode: v2 only
        }
        Path v1 = mount.resolve("memory");
        if (Files.exists(v1.resolve("cgroup.procs"))) {
            return CgroupV1.prepare(host, v1, root);
        }
        Path hybrid = mount.resolve("unified");
        if (Files.isRegularFile(hybrid.resolve("cgroup.controllers"))) {
            return CgroupV2.prepare(host, hybrid);
        }
        return new Absent("no cgroup file system at " + mount + " (neither a v2 hierarchy nor a v1 memory controller)");
    }

    /** The group of one execution; {@link #close()} removes it once its processes are gone. */
    final class ExecutionGroup implements AutoCloseable {

        private final Path dir;
        private final String oomFile;
        private final CgroupFs fs;

        private ExecutionGroup(Path dir, String oomFile, CgroupFs fs) {
            this.dir = dir;
            this.oomFile = oomFile;
            this.fs = fs;
        }

        Path dir() {
            return dir;
        }

        /** Processes the kernel's OOM killer ended in this group: the {@code oom_kill} count of its events file. */
        long oomKills() {
            try {
                for (String line : Files.readAllLines(dir.resolve(oomFile), StandardCharsets.US_ASCII)) {
                    if (line.startsWith("oom_kill ")) {
                        return Long.parseLong(
                                line.substring("oom_kill ".length()).strip());
                    }
                }
            } catch (IOException | NumberFormatException e) {
                log.debug("Cannot read the OOM count of {}: {}", dir, e.toString());
            }
            return 0;
        }

        /**
         * Removes the group. The kernel refuses while it is still populated; its processes are gone when this is
         * called (the sandbox's PID 1 has ended), but their exit may take a moment to reach the group.
         */
        @Override
        public void close() {
            IOException last = null;
            for (int attempt = 0; attempt < 20; attempt++) {
                try {
                    fs.rmdir(dir);
                    return;
                } catch (NoSuchFileException e) {
                    return;
                } catch (IOException e) {
                    last = e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            log.warn("Cannot remove the sandbox cgroup {}: {}", dir, String.valueOf(last));
        }
    }

    /** A memory cgroup (v1) per execution under {@code <memory controller>/agentlog-sandbox-<pid>}. */
    record CgroupV1(Path parent, CgroupFs fs) implements GroupMemoryLimit {

        static GroupMemoryLimit prepare(CgroupHost host, Path controller, boolean root) {
            if (!root || !Files.isWritable(controller.resolve("cgroup.procs"))) {
                return new Absent("the cgroup v1 memory controller at " + controller + " is not writable by the worker"
                        + (root ? "" : " (it is only for root, and the worker is not root)"));
            }
            Path parent = controller.resolve("agentlog-sandbox-" + host.pid());
            try {
                if (!Files.isDirectory(parent)) {
                    host.fs().mkdir(parent);
                }
                return new CgroupV1(parent, host.fs());
            } catch (IOException e) {
                return new Absent("cannot create the cgroup v1 memory group " + parent + ": " + e);
            }
        }

        @Override
        public MemoryLimit scope() {
            return MemoryLimit.CGROUP_V1;
        }

        @Override
        public String describe() {
            return "cgroup v1, a memory group per execution under " + parent;
        }

        @Override
        public Optional<ExecutionGroup> open(String name, long memoryBytes, int processes) throws IOException {
            return openGroup(fs, parent.resolve(name), "memory.oom_control", dir -> {
                fs.write(dir.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
                // memory + swap: the same, so no swap
                writeIfPresent(fs, dir.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
            });
        }

        @Override
        public void close() {
            removeParent(fs, parent);
        }
    }

    /**
     * A cgroup v2 group per execution under {@code <the worker's cgroup>/agentlog-sandbox-<pid>}, with the memory (and,
     * where delegated, pids) controller enabled for it.
     */
    record CgroupV2(Path parent, CgroupFs fs) implements GroupMemoryLimit {

        static GroupMemoryLimit prepare(CgroupHost host, Path mount) {
            Optional<String> own = ownV2Path(host.selfCgroup());
            if (own.isEmpty()) {
                return new Absent("cgroup v2 is mounted at " + mount + ", but " + host.selfCgroup()
                        + " names no v2 group ('0::/path') for the worker");
            }
            Path delegated = own.get().isEmpty() ? mount : mount.resolve(own.get());
            if (!Files.isRegularFile(delegated.resolve("cgroup.controllers"))) {
                return new Absent("the worker's cgroup v2 group /" + own.get() + " is not under " + mount
                        + " (is the cgroup file system mounted from another cgroup namespace?)");
            }
            Set<String> available;
            try {
                available = words(Files.readString(delegated.resolve("cgroup.controllers")));
            } catch (IOException e) {
                return new Absent("cannot read " + delegated.resolve("cgroup.controllers") + ": " + e);
            }
            if (!available.contains("memory")) {
                return new Absent("cgroup v2 at " + mount + " does not delegate the memory controller to the worker's"
                        + " group " + delegated + " (its cgroup.controllers: '" + String.join(" ", available) + "')");
            }
            List<String> wanted = available.contains("pids") ? List.of("memory", "pids") : List.of("memory");
            try {
                enableForChildren(host, delegated, wanted, true);
                Path parent = delegated.resolve("agentlog-sandbox-" + host.pid());
                if (!Files.isDirectory(parent)) {
                    host.fs().mkdir(parent);
                }
                enableForChildren(host, parent, wanted, false);
                return new CgroupV2(parent, host.fs());
            } catch (IOException e) {
                return new Absent("cgroup v2: cannot make groups with the memory controller under the worker's group "
                        + delegated + " (" + e + "); run the worker in a cgroup subtree delegated to it (systemd:"
                        + " Delegate=yes; a container: its own cgroup namespace with /sys/fs/cgroup writable)");
            }
        }

        /**
         * Enables {@code controllers} for the children of {@code group}. A v2 group that holds processes cannot do
         * that; when the group is the worker's own, the worker moves into a leaf of it first (if other processes are
         * there too, it still fails).
         */
        private static void enableForChildren(CgroupHost host, Path group, List<String> controllers, boolean ownGroup)
                throws IOException {
            Path control = group.resolve("cgroup.subtree_control");
            if (words(Files.readString(control)).containsAll(controllers)) {
                return;
            }
            String enable = controllers.stream().map(c -> "+" + c).collect(Collectors.joining(" "));
            try {
                host.fs().write(control, enable);
            } catch (IOException busy) {
                if (!ownGroup) {
                    throw busy;
                }
                Path leaf = group.resolve("agentlog-worker-" + host.pid());
                if (!Files.isDirectory(leaf)) {
                    host.fs().mkdir(leaf);
                }
                host.fs().write(leaf.resolve("cgroup.procs"), Long.toString(host.pid()));
                log.info(
                        "Moved the worker (pid {}) into the cgroup {}: cgroup v2 lets only leaf groups hold processes,"
                                + " and the sandboxes' groups go beside it",
                        host.pid(),
                        leaf);
                host.fs().write(control, enable);
            }
        }

        @Override
        public MemoryLimit scope() {
            return MemoryLimit.CGROUP_V2;
        }

        @Override
        public String describe() {
            return "cgroup v2, a group per execution under " + parent;
        }

        @Override
        public Optional<ExecutionGroup> open(String name, long memoryBytes, int processes) throws IOException {
            return openGroup(fs, parent.resolve(name), "memory.events", dir -> {
                fs.write(dir.resolve("memory.max"), Long.toString(memoryBytes));
                writeIfPresent(fs, dir.resolve("memory.swap.max"), "0"); // absent without swap accounting
                writeIfPresent(fs, dir.resolve("pids.max"), Integer.toString(processes + LAUNCHER_TASKS));
            });
        }

        @Override
        public void close() {
            removeParent(fs, parent);
        }

        /** The worker's v2 group, relative to the hierarchy's root ("" for the root): the {@code 0::} line. */
        static Optional<String> ownV2Path(Path selfCgroup) {
            try {
                return Files.readAllLines(selfCgroup).stream()
                        .filter(line -> line.startsWith("0::/"))
                        .map(line -> line.substring("0::/".length()).strip())
                        .findFirst();
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        private static Set<String> words(String text) {
            return Arrays.stream(text.strip().split("\\s+"))
                    .filter(w -> !w.isEmpty())
                    .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
        }
    }

    /** No usable memory controller: each execution is limited per process only. */
    record Absent(String reason) implements GroupMemoryLimit {

        public Absent {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public MemoryLimit scope() {
            return MemoryLimit.PER_PROCESS;
        }

        @Override
        public String describe() {
            return "none (" + reason + ")";
        }

        @Override
        public Optional<ExecutionGroup> open(String name, long memoryBytes, int processes) {
            return Optional.empty();
        }

        @Override
        public void close() {}
    }

    /** Writes the limits of a new group. */
    @FunctionalInterface
    interface LimitWriter {
        void write(Path group) throws IOException;
    }

    /** Makes the group {@code dir} and writes its limits; removes it again when they cannot be written. */
    private static Optional<ExecutionGroup> openGroup(CgroupFs fs, Path dir, String oomFile, LimitWriter limits)
            throws IOException {
        fs.mkdir(dir);
        ExecutionGroup group = new ExecutionGroup(dir, oomFile, fs);
        try {
            limits.write(dir);
            return Optional.of(group);
        } catch (IOException e) {
            group.close();
            throw e;
        }
    }

    /** Writes an interface file the kernel offers only in some setups (swap accounting, the pids controller). */
    private static void writeIfPresent(CgroupFs fs, Path file, String value) throws IOException {
        if (Files.exists(file)) {
            fs.write(file, value);
        }
    }

    private static void removeParent(CgroupFs fs, Path parent) {
        try {
            fs.rmdir(parent);
        } catch (NoSuchFileException e) {
            // removed already (each sandbox of this worker registers the same clean-up)
        } catch (IOException e) {
            log.warn("Cannot remove the sandboxes' cgroup {}: {}", parent, e.toString());
        }
    }
}
