package io.agentlog.worker.sandbox;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the sandbox finds the host's cgroups: the mount point of the cgroup file systems, the file that names this
 * process's own groups, the operations on them, and this process's pid (as the kernel sees it in those files).
 * {@link #HOST} is the real one; tests point it at a directory tree that mimics a host.
 *
 * @param root the cgroup mount point, {@code /sys/fs/cgroup}: the v2 hierarchy itself (unified mode), or a directory
 *     of v1 controllers ({@code memory/}) and possibly an empty v2 hierarchy ({@code unified/}, hybrid mode)
 * @param selfCgroup {@code /proc/self/cgroup}: lines {@code id:controllers:/path}, {@code 0::/path} for v2
 */
record CgroupHost(Path root, Path selfCgroup, CgroupFs fs, long pid) {

    static final CgroupHost HOST = new CgroupHost(
            Path.of("/sys/fs/cgroup"),
            Path.of("/proc/self/cgroup"),
            CgroupFs.KERNEL,
            ProcessHandle.current().pid());

    CgroupHost {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(selfCgroup, "selfCgroup");
        Objects.requireNonNull(fs, "fs");
    }
}
