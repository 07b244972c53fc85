package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcFsTest {

    @Test
    void shouldAddUserAndSystemTicksWhenTheCommandNameHoldsSpacesAndParentheses() {
        // Given a stat line whose command name would shift the fields if split naively (utime 250, stime 50 ticks)
        String stat = "4242 (java (main) x) S 1 4242 1 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 42 0 1000 1 1";

        // When / Then: 300 ticks of 10 ms
        assertThat(ProcFs.cpuMillisOfStat(stat)).hasValue(3000);
    }

    @Test
    void shouldGiveNothingWhenTheStatLineIsCutShort() {
        assertThat(ProcFs.cpuMillisOfStat("4242 (java) S 1 2")).isEmpty();
        assertThat(ProcFs.cpuMillisOfStat("garbage")).isEmpty();
    }

    @Test
    void shouldReadTheResidentSetInBytesWhenStatusHasVmRss() {
        String status = "Name:\tjava\nVmPeak:\t 999 kB\nVmRSS:\t  204800 kB\nThreads:\t42\n";

        assertThat(ProcFs.rssBytesOfStatus(status)).hasValue(204_800L * 1024);
        assertThat(ProcFs.rssBytesOfStatus("Name:\tjava\n")).isEmpty();
    }

    @Test
    void shouldReadTheThreeLoadAveragesWhenGivenLoadavg() {
        assertThat(ProcFs.loadAverageOf("8.93 6.73 8.68 7/391 26469\n")).containsExactly(8.93, 6.73, 8.68);
        assertThat(ProcFs.loadAverageOf("")).isEmpty();
    }

    @Test
    void shouldMeasureThisProcessWhenOnLinux() {
        // Given this JVM, which has surely used CPU and memory
        long pid = ProcessHandle.current().pid();

        // When / Then (on Linux; elsewhere the values are absent, which the benchmark reports as not measured)
        if (Files.exists(Path.of("/proc/self/stat"))) {
            assertThat(ProcFs.cpuMillis(pid)).isPresent();
            assertThat(ProcFs.cpuMillis(pid).getAsLong()).isPositive();
            assertThat(ProcFs.rssBytes(pid).getAsLong()).isGreaterThan(1024 * 1024);
        }
        assertThat(ProcFs.cpuMillis(Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void shouldSumTheFilesUnderADirectoryWhenAskedForItsBytes(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("a"), new byte[1000]);
        Files.createDirectories(dir.resolve("sub"));
        Files.write(dir.resolve("sub").resolve("b"), new byte[24]);

        assertThat(ProcFs.directoryBytes(dir)).isEqualTo(1024);
        assertThat(ProcFs.directoryBytes(dir.resolve("missing"))).isZero();
    }
}
