package io.agentlog.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.worker.sandbox.GroupMemoryLimit.ExecutionGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the sandbox finds and uses a memory cgroup, on directory trees that mimic the hosts it meets: cgroup v2 with the
 * memory controller delegated (or not), a hybrid host like this one (v1 memory plus an empty v2 mount), no cgroups.
 * The v1 path also runs live in {@link EscapeSuiteTest}; v2 cannot run live on this machine.
 */
class GroupMemoryLimitTest {

    private static final long MIB = 1024 * 1024;
    private static final long PID = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    @Test
    void shouldCreateAV2GroupWithMemorySwapAndPidsLimitsWhenTheSubtreeIsDelegated() throws IOException {
        // Given a v2 host that delegates memory and pids to the worker's group, which holds only the worker
        FakeCgroupV2 fake = FakeCgroupV2.create(dir, "memory pids", true);

        // When the sandbox prepares its groups and opens one for an execution
        GroupMemoryLimit memory = GroupMemoryLimit.detect(fake.host(), false);
        ExecutionGroup group = memory.open("exec-1", 256 * MIB, 64).orElseThrow();

        // Then the worker moved into a leaf, the sandboxes' parent has the controllers, and the execution's group has
        // its limits: memory.max, no swap, pids.max for the program plus the launcher
        assertThat(memory).isInstanceOf(GroupMemoryLimit.CgroupV2.class);
        assertThat(memory.scope()).isEqualTo(MemoryLimit.CGROUP_V2);
        Path worker = fake.workerGroup();
        assertThat(FakeCgroupV2.read(worker.resolve("agentlog-worker-" + PID).resolve("cgroup.procs")))
                .isEqualTo(Long.toString(PID));
        assertThat(FakeCgroupV2.read(worker.resolve("cgroup.procs"))).isEmpty();
        assertThat(FakeCgroupV2.read(worker.resolve("cgroup.subtree_control"))).isEqualTo("memory pids");
        Path parent = worker.resolve("agentlog-sandbox-" + PID);
        assertThat(FakeCgroupV2.read(parent.resolve("cgroup.subtree_control"))).isEqualTo("memory pids");
        assertThat(group.dir()).isEqualTo(parent.resolve("exec-1"));
        assertThat(FakeCgroupV2.read(group.dir().resolve("memory.max"))).isEqualTo(Long.toString(256 * MIB));
        assertThat(FakeCgroupV2.read(group.dir().resolve("memory.swap.max"))).isEqualTo("0");
        assertThat(FakeCgroupV2.read(group.dir().resolve("pids.max")))
                .isEqualTo(Integer.toString(64 + GroupMemoryLimit.LAUNCHER_TASKS));
    }

    @Test
    void shouldReadOomKillsFromMemoryEventsAndRemoveTheGroupsWhenDone() throws IOException {
        // Given a v2 group in which the kernel's OOM killer ended two processes
        FakeCgroupV2 fake = FakeCgroupV2.create(dir, "memory pids", true);
        GroupMemoryLimit memory = GroupMemoryLimit.detect(fake.host(), false);
        fake.oomKillsOfNewGroups(2);
        ExecutionGroup group = memory.open("exec-2", 64 * MIB, 8).orElseThrow();

        // When the sandbox reads it and closes the group, then the worker stops
        long kills = group.oomKills();
        group.close();
        memory.close();

        // Then it counted the kills, and neither the execution's group nor the parent is left
        assertThat(kills).isEqualTo(2);
        assertThat(group.dir()).doesNotExist();
        assertThat(fake.workerGroup().resolve("agentlog-sandbox-" + PID)).doesNotExist();
        assertThat(fake.removed()).containsKey(group.dir());
    }

    @Test
    void shouldSetOnlyTheLimitsTheHostOffersWhenPidsAndSwapAreNotThere() throws IOException {
        // Given a v2 host that delegates memory only, without swap accounting
        FakeCgroupV2 fake = FakeCgroupV2.create(dir, "memory", false);

        // When a group is opened
        GroupMemoryLimit memory = GroupMemoryLimit.detect(fake.host(), false);
        ExecutionGroup group = memory.open("exec-3", 128 * MIB, 64).orElseThrow();

        // Then memory.max is set and no file that the kernel did not offer was made up
        assertThat(FakeCgroupV2.read(group.dir().resolve("memory.max"))).isEqualTo(Long.toString(128 * MIB));
        assertThat(group.dir().resolve("pids.max")).doesNotExist();
        assertThat(group.dir().resolve("memory.swap.max")).doesNotExist();
    }

    @Test
    void shouldSayWhyThereIsNoGroupLimitWhenTheMemoryControllerIsNotDelegated() throws IOException {
        // Given a v2 host that gives the worker's group cpu and pids, but not memory
        FakeCgroupV2 fake = FakeCgroupV2.create(dir, "cpu pids", true);

        // When
        GroupMemoryLimit memory = GroupMemoryLimit.detect(fake.host(), true);

        // Then there is no group limit, the reason names the controller and the group, and opening gives nothing
        assertThat(memory).isInstanceOf(GroupMemoryLimit.Absent.class);
        assertThat(memory.scope()).isEqualTo(MemoryLimit.PER_PROCESS);
        assertThat(((GroupMemoryLimit.Absent) memory).reason())
                .contains("does not delegate the memory controller")
                .contains(FakeCgroupV2.WORKER_GROUP)
                .contains("'cpu pids'");
        assertThat(memory.open("exec-4", 64 * MIB, 8)).isEmpty();
    }

    @Test
    void shouldSayWhyThereIsNoGroupLimitWhenAnotherProcessKeepsTheWorkersGroupBusy() throws Exception {
        // Given a v2 worker group that also holds another process (v2 lets only leaf groups hold processes)
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            FakeCgroupV2 fake = FakeCgroupV2.create(dir, "memory pids", true, other.pid());

            // When
            GroupMemoryLimit memory = GroupMemoryLimit.detect(fake.host(), true);

            // Then there is no group limit, with what to do about it
            assertThat(memory).isInstanceOf(GroupMemoryLimit.Absent.class);
            assertThat(((GroupMemoryLimit.Absent) memory).reason())
                    .contains("Device or resource busy")
                    .contains("Delegate=yes");
        } finally {
            other.destroyForcibly();
            other.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldUseTheV1MemoryControllerAsRootWhenTheHostIsHybridLikeThisOne() throws IOException {
        // Given a v1 memory controller and an empty v2 mount without the memory controller, as on this machine
        Path root = dir.resolve("sys-fs-cgroup");
        Files.createDirectories(root.resolve("memory"));
        Files.writeString(root.resolve("memory/cgroup.procs"), "1\n");
        Files.createDirectories(root.resolve("unified"));
        Files.writeString(root.resolve("unified/cgroup.controllers"), "\n");
        Path self = Files.writeString(dir.resolve("self"), "4:memory:/\n0::/\n");
        CgroupHost host = new CgroupHost(root, self, CgroupFs.KERNEL, PID);

        // When a root worker and a non-root worker look
        GroupMemoryLimit asRoot = GroupMemoryLimit.detect(host, true);
        asRoot.close();
        GroupMemoryLimit asUser = GroupMemoryLimit.detect(host, false);

        // Then root gets v1 groups under the memory controller; the other worker is told why it gets none
        assertThat(asRoot)
                .isEqualTo(
                        new GroupMemoryLimit.CgroupV1(root.resolve("memory/agentlog-sandbox-" + PID), CgroupFs.KERNEL));
        assertThat(asUser).isInstanceOf(GroupMemoryLimit.Absent.class);
        assertThat(asUser.describe()).contains("only for root");
    }

    @Test
    void shouldSayWhyThereIsNoGroupLimitWhenOnlyAnEmptyV2MountExists() throws IOException {
        // Given a hybrid host without a v1 memory controller, whose v2 mount offers no controllers
        Path root = dir.resolve("sys-fs-cgroup");
        Files.createDirectories(root.resolve("unified"));
        Files.writeString(root.resolve("unified/cgroup.controllers"), "\n");
        Path self = Files.writeString(dir.resolve("self"), "0::/\n");

        // When
        GroupMemoryLimit memory = GroupMemoryLimit.detect(new CgroupHost(root, self, CgroupFs.KERNEL, PID), true);

        // Then
        assertThat(memory.describe())
                .startsWith("none (cgroup v2 at " + root.resolve("unified"))
                .contains("does not delegate the memory controller");
    }

    @Test
    void shouldSayThereAreNoCgroupsWhenNothingIsMounted() {
        GroupMemoryLimit memory =
                GroupMemoryLimit.detect(new CgroupHost(dir, dir.resolve("self"), CgroupFs.KERNEL, PID), true);

        assertThat(memory.describe())
                .isEqualTo("none (no cgroup file system at " + dir
                        + " (neither a v2 hierarchy nor a v1 memory controller))");
    }
}
