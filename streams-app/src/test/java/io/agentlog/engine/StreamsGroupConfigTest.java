package io.agentlog.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.testkit.SharedBroker;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

class StreamsGroupConfigTest {

    @Test
    void shouldSetStandbyReplicasOnTheStreamsGroup() throws Exception {
        EngineConfig config = EngineConfig.defaults(SharedBroker.bootstrapServers(), Path.of("unused"))
                .withApplicationId("standby-test");
        config = config.toBuilder().standbyReplicas(1).build();

        StreamsGroupConfig.setStandbyReplicas(config);

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            var group = new ConfigResource(ConfigResource.Type.GROUP, "standby-test");
            var described = admin.describeConfigs(List.of(group)).all().get().get(group);
            assertThat(described.get(StreamsGroupConfig.STANDBY_REPLICAS).value())
                    .isEqualTo("1");
        }
    }
}
