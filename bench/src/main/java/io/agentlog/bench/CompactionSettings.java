package io.agentlog.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topic settings that let the log cleaner compact a topic within seconds rather than days, set for a measurement
 * through Admin {@code incrementalAlterConfigs} and put back afterwards ({@link Applied#restore()}).
 *
 * <p>Why they are needed: the cleaner never touches a partition's active segment, which by default rolls only at
 * 1 GB or after 7 days, so on a small stack nothing deleted would leave the disk for a week. {@code segment.ms} rolls
 * segments after seconds (on the next write after that age), {@code min.cleanable.dirty.ratio} lets the cleaner run
 * as soon as anything is dirty, and {@code delete.retention.ms} lets it drop tombstones (and transaction markers)
 * soon after it has applied them.
 */
final class CompactionSettings {

    private static final Logger log = LoggerFactory.getLogger(CompactionSettings.class);

    /** The measurement's settings, in the order they are reported. */
    static final Map<String, String> MEASUREMENT = measurement(10_000);

    private CompactionSettings() {}

    /** The measurement settings with segments that roll after {@code segmentMs}. */
    static Map<String, String> measurement(long segmentMs) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(TopicConfig.SEGMENT_MS_CONFIG, String.valueOf(segmentMs));
        settings.put(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.01");
        settings.put(TopicConfig.DELETE_RETENTION_MS_CONFIG, "1000");
        return settings;
    }

    /** The settings as they were on each topic: its own value (a topic override), or none. */
    record Applied(String bootstrap, Map<String, Map<String, String>> overridesBefore, Map<String, String> settings) {

        /** Puts every topic's settings back: its earlier override, or none (the broker's default again). */
        void restore(Admin admin) {
            Map<ConfigResource, Collection<AlterConfigOp>> ops = new HashMap<>();
            overridesBefore.forEach((topic, before) -> {
                List<AlterConfigOp> topicOps = new ArrayList<>();
                for (String name : settings.keySet()) {
                    String value = before.get(name);
                    topicOps.add(
                            value == null
                                    ? new AlterConfigOp(new ConfigEntry(name, ""), AlterConfigOp.OpType.DELETE)
                                    : new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET));
                }
                ops.put(new ConfigResource(ConfigResource.Type.TOPIC, topic), topicOps);
            });
            BenchStack.await(
                    admin.incrementalAlterConfigs(ops).all(),
                    "put back the settings of " + overridesBefore.keySet(),
                    bootstrap);
            log.info("Put back {} of {}", settings.keySet(), overridesBefore.keySet());
        }
    }

    /** Sets {@code settings} on every topic, noting what each had before. */
    static Applied apply(Admin admin, Collection<String> topics, Map<String, String> settings, String bootstrap) {
        List<ConfigResource> resources = topics.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t))
                .toList();
        Map<ConfigResource, Config> current = BenchStack.await(
                admin.describeConfigs(resources).all(), "describe the configs of " + topics, bootstrap);
        Map<String, Map<String, String>> before = new LinkedHashMap<>();
        Map<ConfigResource, Collection<AlterConfigOp>> ops = new HashMap<>();
        for (ConfigResource resource : resources) {
            Map<String, String> overrides = new HashMap<>();
            Config config = current.get(resource);
            for (String name : settings.keySet()) {
                ConfigEntry entry = config == null ? null : config.get(name);
                if (entry != null && entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) {
                    overrides.put(name, entry.value());
                }
            }
            before.put(resource.name(), overrides);
            ops.put(
                    resource,
                    settings.entrySet().stream()
                            .map(e -> new AlterConfigOp(
                                    new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET))
                            .toList());
        }
        BenchStack.await(admin.incrementalAlterConfigs(ops).all(), "set " + settings + " on " + topics, bootstrap);
        log.info("Set {} on {} for the measurement", settings, topics);
        return new Applied(bootstrap, before, Map.copyOf(settings));
    }
}
