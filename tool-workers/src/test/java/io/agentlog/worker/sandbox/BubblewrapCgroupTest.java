package io.agentlog.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.testkit.Prerequisites;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real bubblewrap executions whose memory cgroups live in a directory tree that mimics cgroup v2 (this machine has v1
 * memory only): the launcher joins the group before bwrap starts, the limits are written, an OOM kill the kernel
 * reports in {@code memory.events} becomes {@code limitHit=memory}, the group is removed; and where the host has no
 * usable memory controller, every result says that memory was limited per process only.
 */
class BubblewrapCgroupTest {

    private static final SandboxLimits LIMITS =
            SandboxLimits.defaults().withMemoryMiB(300).withWallClockSeconds(20);

    @TempDir
    Path dir;

    @Test
    void shouldRunEachExecutionInItsOwnV2GroupAndReportTheKernelsOomKill() throws Exception {
        // Given a v2 host that delegates memory and pids to the worker, and a kernel that OOM-kills in new groups
        FakeCgroupV2 fake = FakeCgroupV2.create(dir, "memory pids", true);
        try (BubblewrapSandbox sandbox = BubblewrapSandbox.create(LIMITS, fake.host())) {
            Prerequisites.require("the bubblewrap sandbox", sandbox.unavailableReason());
            fake.oomKillsOfNewGroups(1);
            int before = fake.removed().size();

            // When code runs
            SandboxResult result = sandbox.run(Language.PYTHON, "print('hi')", List.of(), Duration.ofSeconds(20));

            // Then the result reports the group's OOM kill and the v2 limit
            assertThat(result.stdout()).isEqualTo("hi\n");
            assertThat(result.limitHit()).contains(SandboxResult.MEMORY);
            assertThat(result.memoryLimit()).isEqualTo(MemoryLimit.CGROUP_V2);

            // And its group had the limits and the launcher's pid, and was removed afterwards
            assertThat(fake.removed()).hasSize(before + 1);
            Map<String, String> group = fake.removed().entrySet().stream()
                    .filter(e -> e.getKey()
                            .getParent()
                            .equals(fake.workerGroup()
                                    .resolve("agentlog-sandbox-"
                                            + ProcessHandle.current().pid())))
                    .reduce((first, second) -> second)
                    .orElseThrow()
                    .getValue();
            assertThat(group)
                    .containsEntry("memory.max", Long.toString(300L * 1024 * 1024))
                    .containsEntry("memory.swap.max", "0")
                    .containsEntry("pids.max", Integer.toString(LIMITS.processes() + GroupMemoryLimit.LAUNCHER_TASKS));
            assertThat(group.get("cgroup.procs")).matches("[0-9]+");
            assertThat(ProcessHandle.of(Long.parseLong(group.get("cgroup.procs"))))
                    .isEmpty();
        }
    }

    @Test
    void shouldMarkEveryResultPerProcessWhenTheHostHasNoUsableMemoryController() throws Exception {
        // Given a v2 host that does not delegate the memory controller
        FakeCgroupV2 fake = FakeCgroupV2.create(dir, "cpu pids", true);
        try (BubblewrapSandbox sandbox = BubblewrapSandbox.create(LIMITS, fake.host())) {
            Prerequisites.require("the bubblewrap sandbox", sandbox.unavailableReason());

            // When code runs
            SandboxResult result = sandbox.run(Language.BASH, "echo ok", List.of(), Duration.ofSeconds(20));

            // Then it ran, limited per process only, and the result says so
            assertThat(result.exitCode()).isZero();
            assertThat(result.memoryLimit()).isEqualTo(MemoryLimit.PER_PROCESS);
            assertThat(result.memoryLimit().coversAllProcesses()).isFalse();
            assertThat(fake.removed()).isEmpty();
        }
    }
}
