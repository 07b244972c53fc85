package io.agentlog.local.chaos;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.ClaimMarkers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Checks a finished chaos run against the guarantees, from what a {@code read_committed} consumer reads on
 * {@code agentlog.results}, {@code agentlog.events}, {@code agentlog.work.results} and {@code agentlog.dlq} and from
 * the two ledgers the workers wrote.
 *
 * <p>Recovery after a kill at time t: the sessions in progress at t (an event at or before t, their end after t) and,
 * of each, the first event after t; the kill's recovery time is the largest of those gaps, i.e. the time until every
 * session that could have been stalled by the kill moved again. Event times are the engine's record timestamps.
 */
final class ChaosVerifier {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private static final int MAX_FAILURES_SHOWN = 5;

    private ChaosVerifier() {}

    private record Event(long seq, long timestamp, Object payload) {}

    /**
     * @param submitted the sessions of the run
     * @param others other sessions the run started (the warm-up): their results are expected, not checked
     */
    static ChaosReport verify(
            String bootstrap,
            ChaosOptions options,
            Set<String> submitted,
            Set<String> others,
            List<KillRecord> kills,
            Path toolLedger,
            Path modelLedger,
            long durationMs) {
        // results
        Map<String, List<SessionResult>> results = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record :
                TopicReader.readAll(bootstrap, Topics.RESULTS.name(), READ_TIMEOUT)) {
            SessionResult result = TopicReader.decode(Topics.RESULTS, record);
            results.computeIfAbsent(result.getSessionId(), k -> new ArrayList<>())
                    .add(result);
        }
        int completed = 0;
        int failed = 0;
        int lost = 0;
        int duplicateResults = 0;
        List<String> failures = new ArrayList<>();
        for (String id : submitted) {
            List<SessionResult> of = results.getOrDefault(id, List.of());
            if (of.isEmpty()) {
                lost++;
                continue;
            }
            duplicateResults += of.size() - 1;
            if (of.get(0).getStatus() == ResultStatus.COMPLETED) {
                completed++;
            } else {
                failed++;
                if (failures.size() < MAX_FAILURES_SHOWN) {
                    failures.add(
                            id + ": " + of.get(0).getStatus() + " " + of.get(0).getError());
                }
            }
        }
        int unexpectedResults = (int) results.keySet().stream()
                .filter(id -> !submitted.contains(id) && !others.contains(id))
                .count();

        // events
        Map<String, List<Event>> events = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record :
                TopicReader.readAll(bootstrap, Topics.EVENTS.name(), READ_TIMEOUT)) {
            SessionEvent event = TopicReader.decode(Topics.EVENTS, record);
            events.computeIfAbsent(event.getSessionId(), k -> new ArrayList<>())
                    .add(new Event(event.getSeq(), record.timestamp(), event.getEvent()));
        }
        int gaps = 0;
        int duplicateEvents = 0;
        int withoutOneEnd = 0;
        int requestedTwice = 0;
        int outcomeUnknown = 0;
        for (String id : submitted) {
            List<Event> journal = events.getOrDefault(id, List.of());
            Set<Long> seqs = new HashSet<>();
            long maxSeq = -1;
            int ends = 0;
            Map<Integer, Integer> requests = new HashMap<>();
            for (Event e : journal) {
                if (!seqs.add(e.seq())) {
                    duplicateEvents++;
                }
                maxSeq = Math.max(maxSeq, e.seq());
                switch (e.payload()) {
                    case SessionEnded ignored -> ends++;
                    case ModelRequested requested -> requests.merge(requested.getTurn(), 1, Integer::sum);
                    case ToolCompleted completedTool
                    when completedTool.getOutcome() == WorkOutcome.OUTCOME_UNKNOWN -> outcomeUnknown++;
                    default -> {}
                }
            }
            gaps += (int) (maxSeq + 1 - seqs.size());
            if (ends != 1) {
                withoutOneEnd++;
            }
            requestedTwice +=
                    (int) requests.values().stream().filter(n -> n > 1).count();
        }

        // model calls: each execution in the ledger against the results committed on agentlog.work.results
        WorkResults workResults = workResults(bootstrap);
        ModelCallCounts modelCalls = modelCalls(
                readLines(modelLedger).stream()
                        .map(LedgerModelProvider.Line::parse)
                        .toList(),
                workResults.committed());

        // the side-effect ledger
        Map<String, Long> keys =
                readLines(toolLedger).stream().collect(Collectors.groupingBy(line -> line, Collectors.counting()));
        int ledgerLines =
                (int) keys.values().stream().mapToLong(Long::longValue).sum();
        int extra = (int) keys.values().stream().mapToLong(n -> n - 1).sum();

        int dlq =
                TopicReader.readAll(bootstrap, Topics.DLQ.name(), READ_TIMEOUT).size();

        List<KillRecord> measured =
                kills.stream().map(kill -> recovery(kill, submitted, events)).toList();
        long[] recoveries = measured.stream()
                .map(KillRecord::recoveryMs)
                .filter(OptionalLong::isPresent)
                .mapToLong(OptionalLong::getAsLong)
                .sorted()
                .toArray();
        OptionalLong p50 = recoveries.length == 0
                ? OptionalLong.empty()
                : OptionalLong.of(recoveries[(int) Math.ceil(recoveries.length * 0.5) - 1]);
        OptionalLong max =
                recoveries.length == 0 ? OptionalLong.empty() : OptionalLong.of(recoveries[recoveries.length - 1]);

        return new ChaosReport(
                options.seed(),
                submitted.size(),
                completed,
                failed,
                lost,
                duplicateResults,
                unexpectedResults,
                gaps,
                duplicateEvents,
                withoutOneEnd,
                modelCalls.executions(),
                modelCalls.repeated(),
                modelCalls.repeatedCompleted(),
                modelCalls.rerunAfterWorkerLoss(),
                modelCalls.rerunWhileEarlierRan(),
                requestedTwice,
                ledgerLines,
                extra,
                workResults.claimsLost(),
                outcomeUnknown,
                dlq,
                measured,
                p50,
                max,
                options.maxRecovery().toMillis(),
                durationMs,
                failures);
    }

    private static KillRecord recovery(KillRecord kill, Set<String> submitted, Map<String, List<Event>> events) {
        long killedAt = kill.atMs();
        long worst = -1;
        String slowest = "";
        int inProgress = 0;
        for (String id : submitted) {
            List<Event> journal = events.getOrDefault(id, List.of());
            boolean started = false;
            boolean endedBefore = false;
            long next = Long.MAX_VALUE;
            String last = "";
            for (Event e : journal) {
                if (e.timestamp() <= killedAt) {
                    started = true;
                    last = e.payload().getClass().getSimpleName();
                    endedBefore |= e.payload() instanceof SessionEnded;
                } else {
                    next = Math.min(next, e.timestamp());
                }
            }
            if (started && !endedBefore && next != Long.MAX_VALUE) {
                inProgress++;
                if (next - killedAt > worst) {
                    worst = next - killedAt;
                    slowest = id + " after " + last;
                }
            }
        }
        return kill.withRecovery(worst < 0 ? OptionalLong.empty() : OptionalLong.of(worst), inProgress, slowest);
    }

    /**
     * A committed result of a work item: where it is on agentlog.work.results, which delivery wrote it and when (the
     * record's timestamp, set by the worker that wrote it; every process of the chaos stack shares one clock).
     */
    record CommittedResult(int partition, long offset, int deliveryCount, long timestampMs) {}

    record ModelCallCounts(
            int executions, int repeated, int repeatedCompleted, int rerunAfterWorkerLoss, int rerunWhileEarlierRan) {}

    /**
     * @param committed every answer (not DELAYED), by {@code sessionId workId}
     * @param claimsLost claim markers of at-most-once calls beyond the first of their call: first deliveries that found
     *     an earlier claim and did not run the tool
     */
    private record WorkResults(Map<String, List<CommittedResult>> committed, int claimsLost) {}

    private static WorkResults workResults(String bootstrap) {
        Map<String, List<CommittedResult>> committed = new HashMap<>();
        Map<String, Integer> claims = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record :
                TopicReader.readAll(bootstrap, Topics.WORK_RESULTS.name(), READ_TIMEOUT)) {
            WorkResult result = TopicReader.decode(Topics.WORK_RESULTS, record);
            String key = result.getSessionId() + " " + result.getWorkId();
            if (ClaimMarkers.isClaim(result)) {
                claims.merge(key, 1, Integer::sum);
            } else if (result.getOutcome() != WorkOutcome.DELAYED) {
                committed
                        .computeIfAbsent(key, k -> new ArrayList<>())
                        .add(new CommittedResult(
                                record.partition(), record.offset(), result.getDeliveryCount(), record.timestamp()));
            }
        }
        int claimsLost = claims.values().stream().mapToInt(n -> n - 1).sum();
        return new WorkResults(committed, claimsLost);
    }

    /**
     * Classifies every execution of a model call beyond the first of its work item (by delivery count, then start),
     * from offsets where the execution looked, else from what certainly came before it:
     *
     * <ul>
     *   <li>repeated completed: a result was committed below the end offset this execution's lookup read to, or it ran
     *       without a lookup although a result of an earlier execution existed (one of a lower delivery count, or one
     *       written before this execution started: a redelivery that came back as delivery 1 after its share-partition
     *       leader died, and was not recognised): a completed call paid twice;
     *   <li>rerun after worker loss: no result that is certainly another execution's (one of a lower delivery count,
     *       or written before this one started) exists: its earlier delivery died mid-call;
     *   <li>rerun while the earlier ran: an earlier delivery's result was committed, but only at or after the end this
     *       execution checked (the earlier worker still ran the call when the item came back).
     * </ul>
     *
     * <p>A delivery count cannot order executions that all came as delivery 1 (a held item, handed back after its
     * share-partition leader died), hence the record times: a result written before an execution started is not that
     * execution's.
     */
    static ModelCallCounts modelCalls(
            List<LedgerModelProvider.Line> lines, Map<String, List<CommittedResult>> committed) {
        Map<String, List<LedgerModelProvider.Line>> byWork = lines.stream()
                .collect(Collectors.groupingBy(
                        l -> l.sessionId() + " " + l.workId(), TreeMap::new, Collectors.toList()));
        int repeated = 0;
        int repeatedCompleted = 0;
        int rerunAfterLoss = 0;
        int rerunWhileEarlierRan = 0;
        for (Map.Entry<String, List<LedgerModelProvider.Line>> work : byWork.entrySet()) {
            List<LedgerModelProvider.Line> runs = work.getValue().stream()
                    .sorted(Comparator.comparingInt(LedgerModelProvider.Line::deliveryCount)
                            .thenComparingLong(LedgerModelProvider.Line::startMs))
                    .toList();
            List<CommittedResult> results = committed.getOrDefault(work.getKey(), List.of());
            for (LedgerModelProvider.Line run : runs.subList(1, runs.size())) {
                repeated++;
                boolean committedBeforeItsCheck = run.checked().isPresent()
                        && results.stream()
                                .anyMatch(r -> r.partition()
                                                == run.checked().get().partition()
                                        && r.offset() < run.checked().get().endOffset());
                boolean anotherExecutionAnswered = results.stream()
                        .anyMatch(r -> r.deliveryCount() < run.deliveryCount() || r.timestampMs() < run.startMs());
                if (committedBeforeItsCheck) {
                    repeatedCompleted++;
                } else if (!anotherExecutionAnswered) {
                    rerunAfterLoss++;
                } else if (run.checked().isEmpty()) {
                    repeatedCompleted++;
                } else {
                    rerunWhileEarlierRan++;
                }
            }
        }
        return new ModelCallCounts(lines.size(), repeated, repeatedCompleted, rerunAfterLoss, rerunWhileEarlierRan);
    }

    private static List<String> readLines(Path file) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return Files.readAllLines(file).stream()
                    .filter(line -> !line.isBlank())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ledger " + file + ": " + e.getMessage(), e);
        }
    }
}
