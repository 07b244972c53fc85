package io.agentlog.worker.it;

import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** Reads {@code agentlog.work.results} (read_committed, from the end at creation) and keeps every result by work id. */
final class ResultCollector implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, List<Received>> byWorkId = new ConcurrentHashMap<>();

    record Received(String key, WorkResult result, long seenAtNanos) {}

    ResultCollector() {
        this(KafkaFixture.bootstrap());
    }

    ResultCollector(String bootstrapServers) {
        consumer = KafkaFixture.tail(bootstrapServers, io.agentlog.schemas.Topics.WORK_RESULTS.name());
    }

    /** Polls once; call from the test thread only (e.g. inside an Awaitility condition). */
    void pollOnce(Duration timeout) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            long now = System.nanoTime();
            WorkResult result = KafkaFixture.decodeResult(record.value());
            byWorkId.computeIfAbsent(result.getWorkId(), k -> new ArrayList<>())
                    .add(new Received(record.key(), result, now));
        }
    }

    /** The answers (every outcome but {@code DELAYED}) for this work id so far. */
    List<Received> received(String workId) {
        return byWorkId.getOrDefault(workId, List.of()).stream()
                .filter(r -> r.result().getOutcome() != WorkOutcome.DELAYED)
                .toList();
    }

    /** Every record of this work id so far, answers and {@code DELAYED} reports, in the order read. */
    List<WorkResult> all(String workId) {
        return byWorkId.getOrDefault(workId, List.of()).stream()
                .map(Received::result)
                .toList();
    }

    /** The {@code DELAYED} progress reports for this work id so far. */
    List<WorkResult> delayed(String workId) {
        return byWorkId.getOrDefault(workId, List.of()).stream()
                .map(Received::result)
                .filter(r -> r.getOutcome() == WorkOutcome.DELAYED)
                .toList();
    }

    /** The first answer (not a {@code DELAYED} report) for this work id, polling until it arrives. */
    WorkResult await(String workId, Duration timeout) {
        org.awaitility.Awaitility.await("result of " + workId)
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(1))
                .until(() -> {
                    pollOnce(Duration.ofMillis(50));
                    return !received(workId).isEmpty();
                });
        return received(workId).getFirst().result();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
