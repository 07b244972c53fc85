package io.agentlog.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What topics hold: their bytes on the brokers' disks (Admin {@code describeLogDirs}, summed over partitions and
 * replicas, so with replication it is the cluster's disk, not one copy) and, by reading a compacted topic from its
 * start, its records, tombstones and the keys whose latest record is a value ("live"), with their bytes: what the
 * topic holds once compaction has caught up.
 */
final class TopicFootprint {

    /** What one read of a topic found; {@code liveKeys} are the keys whose latest record is not a tombstone. */
    record Scan(long records, long tombstones, Set<String> liveKeys, long liveBytes) {

        Scan {
            liveKeys = Set.copyOf(liveKeys);
        }

        static final Scan EMPTY = new Scan(0, 0, Set.of(), 0);
    }

    private static final Duration POLL = Duration.ofMillis(200);

    private TopicFootprint() {}

    /**
     * The changelog topics of a Streams application: {@code <applicationId>-<store>-changelog}, sorted by name.
     * Repartition topics and other applications' topics are left out.
     */
    static List<String> changelogs(Admin admin, String applicationId, String bootstrap) {
        String prefix = applicationId + "-";
        String suffix = "-changelog";
        Set<String> names = BenchStack.await(admin.listTopics().names(), "list the topics", bootstrap);
        return names.stream()
                .filter(n ->
                        n.startsWith(prefix) && n.endsWith(suffix) && n.length() > prefix.length() + suffix.length())
                .sorted()
                .toList();
    }

    /** Bytes on disk of each topic, over all its partitions and replicas on every broker; 0 for a missing topic. */
    static Map<String, Long> bytes(Admin admin, Collection<String> topics, String bootstrap) {
        List<Integer> brokers =
                BenchStack.await(admin.describeCluster().nodes(), "describe the cluster", bootstrap).stream()
                        .map(Node::id)
                        .toList();
        Map<Integer, Map<String, LogDirDescription>> dirs =
                BenchStack.await(admin.describeLogDirs(brokers).allDescriptions(), "describe the log dirs", bootstrap);
        Map<String, Long> bytes = new TreeMap<>();
        topics.forEach(t -> bytes.put(t, 0L));
        for (Map<String, LogDirDescription> byDir : dirs.values()) {
            for (LogDirDescription dir : byDir.values()) {
                for (Map.Entry<TopicPartition, ReplicaInfo> replica :
                        dir.replicaInfos().entrySet()) {
                    String topic = replica.getKey().topic();
                    if (bytes.containsKey(topic) && !replica.getValue().isFuture()) {
                        bytes.merge(topic, replica.getValue().size(), Long::sum);
                    }
                }
            }
        }
        return bytes;
    }

    /**
     * Reads each topic from its start to its last stable offset (read_committed, as the engine writes its changelogs
     * in transactions) and counts what is there. Keys are read as UTF-8 text. A missing topic scans as
     * {@link Scan#EMPTY}.
     */
    static Map<String, Scan> scan(String bootstrap, Collection<String> topics, Duration timeout) {
        Map<String, Scan> scans = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "agentlog-bench-footprint",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        IsolationLevel.READ_COMMITTED.toString(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        // compaction may remove the first records while this reads: start at what is left
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        5_000,
                        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        (int) BenchStack.REQUEST_TIMEOUT.toMillis()),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            for (String topic : new TreeSet<>(topics)) {
                scans.put(topic, scan(consumer, topic, bootstrap, timeout));
            }
        }
        return scans;
    }

    private static Scan scan(KafkaConsumer<byte[], byte[]> consumer, String topic, String bootstrap, Duration timeout) {
        List<PartitionInfo> infos =
                consumer.listTopics(BenchStack.REQUEST_TIMEOUT).get(topic);
        if (infos == null || infos.isEmpty()) {
            return Scan.EMPTY;
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, BenchStack.REQUEST_TIMEOUT);
        Map<String, Integer> latest = new HashMap<>();
        long records = 0;
        long tombstones = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p, BenchStack.REQUEST_TIMEOUT) < end.get(p))) {
            if (System.nanoTime() - deadline > 0) {
                throw new BenchException("cannot read " + topic + " on " + bootstrap + " to its end (" + end
                        + ") within " + timeout.toSeconds() + " s");
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                records++;
                String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
                if (record.value() == null) {
                    tombstones++;
                    latest.remove(key);
                } else {
                    latest.put(key, (record.key() == null ? 0 : record.key().length) + record.value().length);
                }
            }
        }
        consumer.unsubscribe();
        long liveBytes = latest.values().stream().mapToLong(Integer::longValue).sum();
        return new Scan(records, tombstones, new HashSet<>(latest.keySet()), liveBytes);
    }

    /**
     * The '/'-separated parts of every live key of these scans, among them the id of every session that still holds
     * something: engine store keys are the session id, or start with it followed by '/', or (timers) have it between
     * two '/', and session ids never contain '/'.
     */
    static Set<String> keyParts(Collection<Scan> scans) {
        Set<String> parts = new HashSet<>();
        for (Scan scan : scans) {
            for (String key : scan.liveKeys()) {
                parts.addAll(List.of(key.split("/", -1)));
            }
        }
        return parts;
    }
}
