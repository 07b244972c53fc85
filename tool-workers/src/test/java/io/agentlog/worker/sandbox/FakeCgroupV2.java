package io.agentlog.worker.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A directory tree that behaves like a cgroup v2 hierarchy where it matters to the sandbox: a new group gets the
 * interface files of the controllers its parent enables; {@code cgroup.subtree_control} accepts only controllers the
 * group has, and refuses while the group (not the root) holds processes; writing a pid to {@code cgroup.procs} moves
 * it; a group can be removed only when it has no child groups and no living process, and its last file contents are
 * kept for the test to read. The worker runs in {@code /system.slice/agentlog-worker.service}.
 */
final class FakeCgroupV2 implements CgroupFs {

    static final String WORKER_GROUP = "system.slice/agentlog-worker.service";

    private final Path root;
    private final Path selfCgroup;
    private final long workerPid;
    private final boolean swapAccounting;
    private volatile long oomKillsOfNewGroups;
    private final Map<Path, Map<String, String>> removed = new ConcurrentHashMap<>();

    private FakeCgroupV2(Path root, Path selfCgroup, long workerPid, boolean swapAccounting) {
        this.root = root;
        this.selfCgroup = selfCgroup;
        this.workerPid = workerPid;
        this.swapAccounting = swapAccounting;
    }

    /**
     * A unified hierarchy at {@code dir/sys-fs-cgroup} whose worker group offers {@code delegated} controllers to its
     * children and holds the worker's pid plus {@code otherPids}.
     */
    static FakeCgroupV2 create(Path dir, String delegated, boolean swapAccounting, long... otherPids)
            throws IOException {
        Path root = dir.resolve("sys-fs-cgroup");
        Path self = dir.resolve("proc-self-cgroup");
        long pid = ProcessHandle.current().pid();
        FakeCgroupV2 fake = new FakeCgroupV2(root, self, pid, swapAccounting);
        Files.createDirectories(root);
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        Files.writeString(root.resolve("cgroup.subtree_control"), delegated + "\n");
        Files.writeString(root.resolve("cgroup.procs"), "1\n");
        Path slice = root.resolve("system.slice");
        fake.mkdir(slice);
        fake.write(
                slice.resolve("cgroup.subtree_control"),
                words(delegated).stream().map(c -> "+" + c).collect(Collectors.joining(" ")));
        Path worker = root.resolve(WORKER_GROUP);
        fake.mkdir(worker);
        StringBuilder procs = new StringBuilder().append(pid).append('\n');
        for (long other : otherPids) {
            procs.append(other).append('\n');
        }
        Files.writeString(worker.resolve("cgroup.procs"), procs);
        Files.writeString(self, "0::/" + WORKER_GROUP + "\n");
        return fake;
    }

    CgroupHost host() {
        return new CgroupHost(root, selfCgroup, this, workerPid);
    }

    Path root() {
        return root;
    }

    Path workerGroup() {
        return root.resolve(WORKER_GROUP);
    }

    /** Groups made from now on report this many OOM kills in {@code memory.events}, as if the kernel had killed. */
    void oomKillsOfNewGroups(long kills) {
        this.oomKillsOfNewGroups = kills;
    }

    /** The last contents of the interface files of every group removed so far, by group. */
    Map<Path, Map<String, String>> removed() {
        return removed;
    }

    static String read(Path file) throws IOException {
        return Files.readString(file).strip();
    }

    @Override
    public void mkdir(Path dir) throws IOException {
        Set<String> controllers = words(read(dir.getParent().resolve("cgroup.subtree_control")));
        Files.createDirectory(dir);
        Files.writeString(dir.resolve("cgroup.controllers"), String.join(" ", controllers) + "\n");
        Files.writeString(dir.resolve("cgroup.subtree_control"), "\n");
        Files.writeString(dir.resolve("cgroup.procs"), "");
        if (controllers.contains("memory")) {
            Files.writeString(dir.resolve("memory.max"), "max\n");
            if (swapAccounting) {
                Files.writeString(dir.resolve("memory.swap.max"), "max\n");
            }
            Files.writeString(
                    dir.resolve("memory.events"),
                    "low 0\nhigh 0\nmax 0\noom 0\noom_kill " + oomKillsOfNewGroups + "\noom_group_kill 0\n");
        }
        if (controllers.contains("pids")) {
            Files.writeString(dir.resolve("pids.max"), "max\n");
        }
    }

    @Override
    public void rmdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString());
        }
        try (Stream<Path> children = Files.list(dir)) {
            if (children.anyMatch(Files::isDirectory)) {
                throw new DirectoryNotEmptyException(dir + " has child groups");
            }
        }
        if (!livingPids(dir).isEmpty()) {
            throw new IOException(dir + ": Device or resource busy (processes " + livingPids(dir) + ")");
        }
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path file : list.toList()) {
                files.put(file.getFileName().toString(), read(file));
                Files.delete(file);
            }
        }
        Files.delete(dir);
        removed.put(dir, files);
    }

    @Override
    public synchronized void write(Path file, String value) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        Path group = file.getParent();
        switch (file.getFileName().toString()) {
            case "cgroup.subtree_control" -> {
                Set<String> available = words(read(group.resolve("cgroup.controllers")));
                Set<String> enabled = words(read(file));
                for (String change : words(value)) {
                    String controller = change.substring(1);
                    if (!available.contains(controller)) {
                        throw new IOException(file + ": No such file or directory (controller " + controller + ")");
                    }
                    if (!group.equals(root) && !livingPids(group).isEmpty()) {
                        throw new IOException(file + ": Device or resource busy");
                    }
                    if (change.startsWith("+")) {
                        enabled.add(controller);
                    } else {
                        enabled.remove(controller);
                    }
                }
                Files.writeString(file, String.join(" ", enabled) + "\n");
            }
            case "cgroup.procs" -> {
                String pid = value.strip();
                try (Stream<Path> all = Files.walk(root)) {
                    for (Path procs : all.filter(p -> p.getFileName().toString().equals("cgroup.procs"))
                            .toList()) {
                        List<String> left = Files.readAllLines(procs).stream()
                                .filter(line -> !line.strip().equals(pid))
                                .toList();
                        Files.write(procs, left);
                    }
                }
                Files.writeString(file, Files.readString(file) + pid + "\n");
            }
            default -> Files.writeString(file, value.strip() + "\n", StandardCharsets.US_ASCII);
        }
    }

    private static Set<String> livingPids(Path group) throws IOException {
        return Files.readAllLines(group.resolve("cgroup.procs")).stream()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .filter(pid -> ProcessHandle.of(Long.parseLong(pid))
                        .map(ProcessHandle::isAlive)
                        .orElse(false))
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static Set<String> words(String text) {
        return Arrays.stream(text.strip().split("\\s+"))
                .filter(w -> !w.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }
}
