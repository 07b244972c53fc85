package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.TaskSubmitted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;

/**
 * A stand-in for the engine's stores and retention, on the real broker: it creates compacted changelog topics
 * {@code <applicationId>-<store>-changelog} and, for each task of a session it does not hold, writes in one
 * transaction (on the task's partition, as Streams does) {@link #KEYS_PER_SESSION} store records, a started and an
 * ended event and a COMPLETED result. {@code retention} after that it tombstones the session's records, except a
 * probe session's (id {@code ...-probe-N}), which it keeps so that the benchmark's baseline stays put. A task for a
 * session it holds is a duplicate and gets nothing, like the engine's. Like a running system's other sessions, it
 * writes a little to every changelog partition each {@link #TICK} (key {@code tick}, overwritten), which rolls the
 * segments the log cleaner may then compact.
 */
final class FakeRetentionEngine implements AutoCloseable {

    static final List<String> STORES = List.of("history", "sessions", "timers", "workspace");
    static final int HISTORY_ENTRIES = 4;
    static final int KEYS_PER_SESSION = HISTORY_ENTRIES + 3;
    static final int STATE_BYTES = 200;
    static final int MESSAGE_BYTES = 300;
    static final int FILE_BYTES = 8192;
    static final Duration TICK = Duration.ofSeconds(2);

    private final String applicationId;
    private final Duration retention;
    private final TaskPump pump;
    private final AtomicInteger sessionsStarted = new AtomicInteger();
    private final Map<String, List<ProducerRecord<String, byte[]>>> held = new HashMap<>();
    private final PriorityQueue<Due> deletions = new PriorityQueue<>();
    private long nextTick;

    private record Due(long at, String sessionId) implements Comparable<Due> {
        @Override
        public int compareTo(Due other) {
            return Long.compare(at, other.at);
        }
    }

    FakeRetentionEngine(String bootstrap, String applicationId, Duration retention) throws Exception {
        this.applicationId = applicationId;
        this.retention = retention;
        createChangelogs(bootstrap);
        this.pump = new TaskPump(bootstrap, "fake-retention-engine");
        pump.start(
                "fake-retention-engine",
                (record, task) -> {
                    if (!held.containsKey(record.key())) {
                        pump.transaction(() -> start(record.key(), record.partition(), task));
                    }
                },
                () -> {
                    deleteDue();
                    tick();
                });
    }

    String changelog(String store) {
        return applicationId + "-" + store + "-changelog";
    }

    int sessionsStarted() {
        return sessionsStarted.get();
    }

    /** Key and value bytes of the records one session keeps. */
    static long liveBytesPerSession(String sessionId) {
        long keys = sessionId.length() * (long) KEYS_PER_SESSION
                + HISTORY_ENTRIES * "/000000000000".length()
                + "/notes.md".length()
                + "0000000000000000//retention".length();
        long values = STATE_BYTES + HISTORY_ENTRIES * MESSAGE_BYTES + FILE_BYTES + sessionId.length();
        return keys + values;
    }

    private void createChangelogs(String bootstrap) throws Exception {
        try (Admin admin = BenchStack.admin(bootstrap)) {
            List<NewTopic> topics = STORES.stream()
                    .map(store -> new NewTopic(changelog(store), Topics.SESSION_PARTITIONS, (short) 1)
                            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)))
                    .toList();
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> leaders = new HashMap<>();
            for (String store : STORES) {
                for (int p = 0; p < Topics.SESSION_PARTITIONS; p++) {
                    leaders.put(new TopicPartition(changelog(store), p), OffsetSpec.latest());
                }
            }
            // a new partition may have no leader yet; ListOffsets answers once it has one
            admin.listOffsets(leaders).all().get(30, TimeUnit.SECONDS);
        }
    }

    private void start(String sessionId, int partition, TaskSubmitted task) {
        long now = System.currentTimeMillis();
        List<ProducerRecord<String, byte[]>> stored = new ArrayList<>();
        stored.add(record("sessions", partition, sessionId, STATE_BYTES));
        for (int i = 0; i < HISTORY_ENTRIES; i++) {
            stored.add(record("history", partition, String.format("%s/%012d", sessionId, i), MESSAGE_BYTES));
        }
        stored.add(record("workspace", partition, sessionId + "/notes.md", FILE_BYTES));
        stored.add(new ProducerRecord<>(
                changelog("timers"),
                partition,
                String.format("%016d/%s/retention", 0, sessionId),
                sessionId.getBytes(StandardCharsets.UTF_8)));
        stored.forEach(pump::send);
        held.put(sessionId, stored);
        if (!sessionId.contains("-probe-")) {
            deletions.add(new Due(now + retention.toMillis(), sessionId));
        }
        event(sessionId, 0, now, TaskPump.started(task));
        event(sessionId, 1, now, new SessionEnded(ResultStatus.COMPLETED, RetentionAgent.FINAL_TEXT, null));
        pump.result(TaskPump.resultOf(sessionId, task, ResultStatus.COMPLETED, RetentionAgent.FINAL_TEXT, null, 2));
        sessionsStarted.incrementAndGet();
    }

    private void deleteDue() {
        long now = System.currentTimeMillis();
        if (deletions.isEmpty() || deletions.peek().at() > now) {
            return;
        }
        pump.transaction(() -> {
            while (!deletions.isEmpty() && deletions.peek().at() <= now) {
                String sessionId = deletions.poll().sessionId();
                for (ProducerRecord<String, byte[]> stored : held.remove(sessionId)) {
                    pump.send(new ProducerRecord<>(stored.topic(), stored.partition(), stored.key(), null));
                }
            }
        });
    }

    private void tick() {
        long now = System.currentTimeMillis();
        if (now < nextTick) {
            return;
        }
        nextTick = now + TICK.toMillis();
        pump.transaction(() -> {
            for (String store : STORES) {
                for (int p = 0; p < Topics.SESSION_PARTITIONS; p++) {
                    pump.send(record(store, p, "tick", 16));
                }
            }
        });
    }

    private ProducerRecord<String, byte[]> record(String store, int partition, String key, int bytes) {
        return new ProducerRecord<>(changelog(store), partition, key, new byte[bytes]);
    }

    private void event(String sessionId, long seq, long at, SpecificRecord payload) {
        pump.event(sessionId, seq, at, payload);
    }

    @Override
    public void close() throws InterruptedException {
        pump.close();
    }
}
