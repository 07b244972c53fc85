package io.agentlog.local.chaos;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.WorkOutcome;
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
 * {@code agentlog.results}, {@code agentlog.events} and {@code agentlog.dlq} and from the two ledgers the workers
 * wrote.
 *
 * <p>Recovery after a kill at time t: the sessions in progress at t (an event at or before t, their end after t) and,
 * of each, the first event after t; the kill's recovery time is the largest of those gaps, i.e. the time until every
 * session that could have been stalled by the kill moved again. Event times are the engine's record timestamps.
 */
final class ChaosVerifier {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
    /** A model call whose response was committed this long before its worker died was surely acknowledged. */
    private static final long ACK_MARGIN_MS = 1000;

    private static final int MAX_FAILURES_SHOWN = 5;

    private ChaosVerifier() {}

    private record Event(long seq, long timestamp, Object payload) {}

    private record ModelRun(String sessionId, int turn, long pid, long startMs) {}

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
        Map<String, Long> respondedAt = new HashMap<>(); // "sessionId turn" -> first ModelResponded timestamp
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
                    case ModelResponded responded ->
                        respondedAt.putIfAbsent(id + " " + responded.getTurn(), e.timestamp());
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

        // model calls
        List<ModelRun> runs =
                readLines(modelLedger).stream().map(ChaosVerifier::modelRun).toList();
        Map<String, List<ModelRun>> runsByTurn = runs.stream()
                .collect(Collectors.groupingBy(r -> r.sessionId() + " " + r.turn(), TreeMap::new, Collectors.toList()));
        Map<Long, Long> workerKilledAt = new HashMap<>();
        List<Long> brokerKilledAt = new ArrayList<>();
        for (KillRecord kill : kills) {
            if (kill.worker()) {
                workerKilledAt.put(kill.pid(), kill.atMs());
            } else if (kill.kind() == ChaosStack.Kind.BROKER) {
                brokerKilledAt.add(kill.atMs());
            }
        }
        int repeated = 0;
        int unexplained = 0;
        for (List<ModelRun> ofTurn : runsByTurn.values()) {
            List<ModelRun> sorted = ofTurn.stream()
                    .sorted(Comparator.comparingLong(ModelRun::startMs))
                    .toList();
            for (int i = 1; i < sorted.size(); i++) {
                repeated++;
                boolean explained = false;
                for (int j = 0; j < i; j++) {
                    Long killedAt = workerKilledAt.get(sorted.get(j).pid());
                    if (killedAt != null && sorted.get(j).startMs() <= killedAt) {
                        explained = true;
                    }
                    if (heldAtBrokerKill(sorted.get(j), brokerKilledAt, respondedAt)) {
                        explained = true;
                    }
                }
                if (!explained) {
                    unexplained++;
                }
            }
        }
        int inFlight = 0;
        for (ModelRun run : runs) {
            Long killedAt = workerKilledAt.get(run.pid());
            if (killedAt != null && run.startMs() <= killedAt) {
                Long responded = respondedAt.get(run.sessionId() + " " + run.turn());
                if (responded == null || responded > killedAt - ACK_MARGIN_MS) {
                    inFlight++;
                }
            } else if (heldAtBrokerKill(run, brokerKilledAt, respondedAt)) {
                inFlight++;
            }
        }

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
                runs.size(),
                repeated,
                inFlight,
                unexplained,
                requestedTwice,
                ledgerLines,
                extra,
                outcomeUnknown,
                dlq,
                measured,
                p50,
                max,
                options.maxRecovery().toMillis(),
                durationMs,
                failures);
    }

    /**
     * A model call that had started and whose response was not surely acknowledged when a broker was killed: if that
     * broker led the call's work partition, the share group delivers the item again as a first delivery (a held record
     * is not persisted as acquired; see KafkaClusterTest), on any worker.
     */
    private static boolean heldAtBrokerKill(ModelRun run, List<Long> brokerKilledAt, Map<String, Long> respondedAt) {
        Long responded = respondedAt.get(run.sessionId() + " " + run.turn());
        return brokerKilledAt.stream()
                .anyMatch(killedAt ->
                        run.startMs() <= killedAt && (responded == null || responded > killedAt - ACK_MARGIN_MS));
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

    private static ModelRun modelRun(String line) {
        String[] parts = line.split(" ");
        if (parts.length != 4) {
            throw new IllegalStateException("malformed model ledger line '" + line + "': expected 4 fields");
        }
        return new ModelRun(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3]));
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
