package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.testkit.SharedBroker;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

class CompactionSettingsTest {

    @Test
    void shouldSetTheMeasurementSettingsAndPutBackWhatEachTopicHadWhenRestored() throws Exception {
        // Given a topic with its own segment.ms and one without
        String bootstrap = SharedBroker.bootstrapServers();
        String own = "compaction-own-" + UUID.randomUUID();
        String plain = "compaction-plain-" + UUID.randomUUID();
        try (Admin admin = BenchStack.admin(bootstrap)) {
            admin.createTopics(List.of(
                            new NewTopic(own, 1, (short) 1).configs(Map.of(TopicConfig.SEGMENT_MS_CONFIG, "123456")),
                            new NewTopic(plain, 1, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);

            // When
            CompactionSettings.Applied applied =
                    CompactionSettings.apply(admin, List.of(own, plain), CompactionSettings.MEASUREMENT, bootstrap);

            // Then
            for (String topic : List.of(own, plain)) {
                Config config = config(admin, topic);
                CompactionSettings.MEASUREMENT.forEach(
                        (name, value) -> assertThat(config.get(name).value())
                                .as(topic + " " + name)
                                .isEqualTo(value));
            }

            // When
            applied.restore(admin);

            // Then
            assertThat(config(admin, own).get(TopicConfig.SEGMENT_MS_CONFIG).value())
                    .isEqualTo("123456");
            Config restored = config(admin, plain);
            for (String name : CompactionSettings.MEASUREMENT.keySet()) {
                assertThat(restored.get(name).source()).isNotEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            }
            assertThat(config(admin, own)
                            .get(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG)
                            .source())
                    .isNotEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        }
    }

    private static Config config(Admin admin, String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(resource))
                .all()
                .get(30, TimeUnit.SECONDS)
                .get(resource);
    }
}
