package io.agentlog.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The outcome of one {@code retention} benchmark run, rendered as one JSON object by {@link #toJson()}. Three
 * moments are measured: {@code baseline} (before the measured sessions), {@code before} (all of them ended, none yet
 * past its retention) and {@code after} (the wait for the disk to return is over).
 *
 * @param benchmark always {@code "retention"}
 * @param sessions sessions run
 * @param concurrency most sessions in flight at once
 * @param fileBytes size of the file each session wrote
 * @param retentionMs the engine's retention of ended sessions
 * @param applicationId the engine's Streams application id, which names its changelog topics
 * @param completed sessions whose result was {@code COMPLETED}
 * @param failed sessions whose result was anything else
 * @param timedOut sessions without a result when the run's timeout ran out
 * @param wallSeconds from the first task sent to the last result seen
 * @param sessionsPerSecond {@code (completed + failed) / wallSeconds}
 * @param allLiveWhenMeasured whether the {@code before} snapshot was complete before the first session's retention
 *     could have ended (if not, some sessions may already have been deleted and the per-session numbers are low)
 * @param topics the engine's changelog topics and {@code agentlog.blobs}: what retention deletes
 * @param journal {@code agentlog.events} and {@code agentlog.results}, bytes only: the journal is kept by its topics'
 *     own time retention, not deleted with the sessions
 * @param totalBytes the bytes of {@code topics} together
 * @param stateDirBytes the engine's state directory on disk, when it was given
 * @param perSession what one session added between {@code baseline} and {@code before}
 * @param deletedSessions sessions of the run of which no live key was left in {@code topics} (read through after
 *     the last session's retention came due)
 * @param deletedAfterSeconds from the last session's result to the first read that found all of them deleted
 * @param resubmitted the functional proof: tasks sent again under the ids of deleted sessions, whose writes also roll
 *     the active segments of the changelogs so the cleaner can compact what was deleted
 * @param returned whether the bytes of {@code topics} fell to the baseline plus {@link #RETURNED_FRACTION} of what
 *     the run added, plus what the resubmitted sessions add (the run's average per session)
 * @param returnedAfterSeconds from the last session's result to the first poll that saw them returned
 * @param secondsPastRetention {@code returnedAfterSeconds} less the retention: the time deletion and compaction took
 * @param waitedSeconds from the {@code before} snapshot to the end of the wait (returned and no longer falling for a
 *     minute, or the wait's limit)
 * @param measurementTopicConfigs what was set on {@code topics} for the measurement (and put back afterwards)
 * @param failures the first few failures, each {@code sessionId STATUS: error}
 * @param machine where it ran
 * @param date when it ran, ISO-8601 UTC
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
    "benchmark",
    "sessions",
    "concurrency",
    "fileBytes",
    "retentionMs",
    "applicationId",
    "completed",
    "failed",
    "timedOut",
    "wallSeconds",
    "sessionsPerSecond",
    "allLiveWhenMeasured",
    "topics",
    "journal",
    "totalBytes",
    "stateDirBytes",
    "perSession",
    "deletedSessions",
    "deletedAfterSeconds",
    "resubmitted",
    "returned",
    "returnedAfterSeconds",
    "secondsPastRetention",
    "waitedSeconds",
    "measurementTopicConfigs",
    "failures",
    "machine",
    "date"
})
public record RetentionResult(
        String benchmark,
        int sessions,
        int concurrency,
        int fileBytes,
        long retentionMs,
        String applicationId,
        int completed,
        int failed,
        int timedOut,
        double wallSeconds,
        double sessionsPerSecond,
        boolean allLiveWhenMeasured,
        List<TopicReport> topics,
        List<TopicReport> journal,
        Phases totalBytes,
        Phases stateDirBytes,
        PerSession perSession,
        int deletedSessions,
        Double deletedAfterSeconds,
        Resubmission resubmitted,
        boolean returned,
        Double returnedAfterSeconds,
        Double secondsPastRetention,
        double waitedSeconds,
        Map<String, String> measurementTopicConfigs,
        List<String> failures,
        BenchResult.Machine machine,
        String date) {

    /** The disk counts as returned when the run's bytes fell to this fraction of what they were. */
    public static final double RETURNED_FRACTION = 0.1;

    private static final ObjectMapper JSON = new ObjectMapper();

    public RetentionResult {
        Objects.requireNonNull(benchmark, "benchmark");
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(totalBytes, "totalBytes");
        Objects.requireNonNull(perSession, "perSession");
        deletedAfterSeconds = deletedAfterSeconds == null ? null : BenchResult.round(deletedAfterSeconds);
        Objects.requireNonNull(resubmitted, "resubmitted");
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(date, "date");
        topics = List.copyOf(topics);
        journal = List.copyOf(journal);
        measurementTopicConfigs = Collections.unmodifiableMap(new TreeMap<>(measurementTopicConfigs));
        failures = List.copyOf(failures);
        wallSeconds = BenchResult.round(wallSeconds);
        sessionsPerSecond = BenchResult.round(sessionsPerSecond);
        returnedAfterSeconds = returnedAfterSeconds == null ? null : BenchResult.round(returnedAfterSeconds);
        secondsPastRetention = secondsPastRetention == null ? null : BenchResult.round(secondsPastRetention);
        waitedSeconds = BenchResult.round(waitedSeconds);
    }

    /** One line of JSON. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render the benchmark result as JSON: " + e.getMessage(), e);
        }
    }

    /** A number at the three moments of the run. */
    @JsonPropertyOrder({"baseline", "before", "after"})
    public record Phases(long baseline, long before, long after) {}

    /**
     * A topic at the three moments. {@code records}, {@code tombstones}, {@code liveKeys} and {@code liveBytes} come
     * from reading the topic and are left out for the journal, which is not read.
     */
    @JsonPropertyOrder({"topic", "baseline", "before", "after"})
    public record TopicReport(String topic, Snapshot baseline, Snapshot before, Snapshot after) {

        public TopicReport {
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(baseline, "baseline");
            Objects.requireNonNull(before, "before");
            Objects.requireNonNull(after, "after");
        }
    }

    /**
     * One topic at one moment.
     *
     * @param bytes on the brokers' disks, all partitions and replicas
     * @param records records in the log, tombstones included (what compaction has not yet removed)
     * @param tombstones records without a value
     * @param liveKeys keys whose latest record has a value
     * @param liveBytes key and value bytes of those latest records: what the topic would hold fully compacted
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"bytes", "records", "tombstones", "liveKeys", "liveBytes"})
    public record Snapshot(long bytes, Long records, Long tombstones, Long liveKeys, Long liveBytes) {

        public static Snapshot bytesOnly(long bytes) {
            return new Snapshot(bytes, null, null, null, null);
        }
    }

    /**
     * What one session added, between the baseline and the {@code before} snapshot, divided by the sessions run.
     *
     * @param diskBytes bytes on the brokers of the changelogs and blobs
     * @param liveBytes key and value bytes of the live records of the changelogs and blobs
     * @param liveKeys live keys of the changelogs and blobs
     * @param journalBytes bytes on the brokers of the journal (events and results)
     * @param stateDirBytes the engine's state directory, when it was given
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"diskBytes", "liveBytes", "liveKeys", "journalBytes", "stateDirBytes"})
    public record PerSession(
            double diskBytes, double liveBytes, double liveKeys, double journalBytes, Double stateDirBytes) {

        public PerSession {
            diskBytes = BenchResult.round(diskBytes);
            liveBytes = BenchResult.round(liveBytes);
            liveKeys = BenchResult.round(liveKeys);
            journalBytes = BenchResult.round(journalBytes);
            stateDirBytes = stateDirBytes == null ? null : BenchResult.round(stateDirBytes);
        }
    }

    /**
     * @param sessions tasks sent again, each under the id of a session of the run
     * @param deletedBeforeResubmit of those, sessions of which no live key was left in the changelogs and blobs
     * @param freshSessions of those, tasks that got a new result: the engine started a new session (a task for a
     *     session it still holds is a duplicate and gets none)
     */
    @JsonPropertyOrder({"sessions", "deletedBeforeResubmit", "freshSessions"})
    public record Resubmission(int sessions, int deletedBeforeResubmit, int freshSessions) {}
}
