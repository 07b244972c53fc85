package io.agentlog.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * What Linux's {@code /proc} says of a process: its CPU time (user + system, {@code /proc/<pid>/stat} fields 14 and
 * 15, in clock ticks of {@value #TICKS_PER_SECOND} per second, the value of {@code getconf CLK_TCK} on every Linux
 * for x86 and arm) and its resident memory ({@code VmRSS} of {@code /proc/<pid>/status}); and the machine's load
 * average. On another OS, or for a process that is gone, the values are absent.
 */
final class ProcFs {

    static final int TICKS_PER_SECOND = 100;

    private static final Path PROC = Path.of("/proc");

    private ProcFs() {}

    /** CPU time the process has used so far, user and system, in milliseconds (10 ms resolution). */
    static OptionalLong cpuMillis(long pid) {
        return read(PROC.resolve(String.valueOf(pid)).resolve("stat"))
                .map(ProcFs::cpuMillisOfStat)
                .orElse(OptionalLong.empty());
    }

    /** Parses a {@code /proc/<pid>/stat} line; the command name in parentheses may hold spaces. */
    static OptionalLong cpuMillisOfStat(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return OptionalLong.empty();
        }
        // after ") " come the fields from the 3rd (state) on: utime and stime are the 14th and 15th
        String[] fields = stat.substring(close + 2).trim().split(" +");
        if (fields.length < 13) {
            return OptionalLong.empty();
        }
        try {
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return OptionalLong.of(ticks * 1000 / TICKS_PER_SECOND);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Resident set size in bytes. */
    static OptionalLong rssBytes(long pid) {
        return read(PROC.resolve(String.valueOf(pid)).resolve("status"))
                .map(ProcFs::rssBytesOfStatus)
                .orElse(OptionalLong.empty());
    }

    static OptionalLong rssBytesOfStatus(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                String[] parts = line.substring("VmRSS:".length()).trim().split(" +");
                try {
                    return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The 1, 5 and 15 minute load averages; empty when unknown. */
    static List<Double> loadAverage() {
        return read(PROC.resolve("loadavg")).map(ProcFs::loadAverageOf).orElse(List.of());
    }

    static List<Double> loadAverageOf(String loadavg) {
        String[] parts = loadavg.trim().split(" +");
        if (parts.length < 3) {
            return List.of();
        }
        try {
            return Arrays.stream(parts, 0, 3).map(Double::parseDouble).toList();
        } catch (NumberFormatException e) {
            return List.of();
        }
    }

    /** Bytes of every regular file under {@code dir}; 0 when it does not exist. */
    static long directoryBytes(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(Files::isRegularFile)
                    .mapToLong(ProcFs::sizeOrZero)
                    .sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0; // RocksDB may delete a file while it is walked; the next measurement sees the rest
        }
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // deleted meanwhile
        }
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
