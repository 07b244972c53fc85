package io.agentlog.engine;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.engine.internal.OutputTopics;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import io.agentlog.testkit.SharedBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/** An engine refuses to start on a cluster that lacks a topic it writes, naming it and how to create it. */
class OutputTopicsTest {

    @Test
    void shouldNameTheMissingTopicsAndHowToCreateThem() throws Exception {
        String bootstrap = SharedBroker.bootstrapServers();
        TopicSetup.createAll(bootstrap, Topics.DEFAULT_POOLS, (short) 1, Duration.ofSeconds(30));
        String missing = "agentlog.missing-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertThatCode(() -> OutputTopics.require(admin, OutputTopics.NAMES, Duration.ofSeconds(30)))
                    .doesNotThrowAnyException();
            assertThatThrownBy(() -> OutputTopics.require(
                            admin, List.of(Topics.CANCELS.name(), missing), Duration.ofSeconds(30)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("the engine writes to [" + missing + "], which do not exist; create them first"
                            + " (`agentlog topics create` adds the missing topics and leaves the others as they are)");
        }
    }
}
