package io.agentlog.local;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;

/**
 * A process the local stack started, remembered in a file: its pid and start time. The start time guards against
 * pid reuse: a live process with the same pid but another start time is not ours and is never signalled.
 */
public record PidFile(Path file) {

    private static final Duration START_TOLERANCE = Duration.ofSeconds(2);

    public void write(ProcessHandle process) {
        Instant started = process.info().startInstant().orElse(Instant.EPOCH);
        String text = "pid=" + process.pid() + "\nstarted=" + started + "\n";
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the pid file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The recorded process, if the file exists and that process is still alive. */
    public Optional<ProcessHandle> liveProcess() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try {
            props.load(new StringReader(Files.readString(file)));
            long pid = Long.parseLong(props.getProperty("pid", "-1").strip());
            Instant started = Instant.parse(
                    props.getProperty("started", Instant.EPOCH.toString()).strip());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> sameStart(p, started));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the pid file " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean sameStart(ProcessHandle process, Instant recorded) {
        if (recorded.equals(Instant.EPOCH)) {
            return true;
        }
        return process.info()
                .startInstant()
                .map(actual -> Duration.between(actual, recorded).abs().compareTo(START_TOLERANCE) <= 0)
                .orElse(true);
    }
}
