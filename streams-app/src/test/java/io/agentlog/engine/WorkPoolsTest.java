package io.agentlog.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.engine.internal.WorkPools;
import io.agentlog.testkit.SharedBroker;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

class WorkPoolsTest {

    @Test
    void shouldKnowEachWorkTopicAndTheLargestRecordItTakes() throws Exception {
        try (Admin admin = admin(SharedBroker.bootstrapServers())) {
            // Given a work topic whose records are limited to 64 KiB
            admin.createTopics(List.of(new NewTopic("agentlog.work.tiny", 1, (short) 1)
                            .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "65536"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);

            // When the pools are read
            try (WorkPools pools = WorkPools.watching(admin, Duration.ofMinutes(1), Duration.ofSeconds(30))) {
                // Then the pool exists, with its topic's limit; no other pool does
                assertThat(pools.exists("tiny")).isTrue();
                assertThat(pools.maxRecordBytes("tiny")).isEqualTo(65536);
                assertThat(pools.exists("results")).isFalse();
                assertThat(pools.exists("nobody")).isFalse();
            }
        }
    }

    @Test
    void shouldNotStartWithoutAFirstListingRatherThanSeeingNoPools() throws Exception {
        // Given no broker at the address
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (Admin admin = admin("127.0.0.1:" + port)) {
            // Then watching gives up after its start timeout instead of starting with an empty set of pools
            assertThatThrownBy(() -> WorkPools.watching(admin, Duration.ofMinutes(1), Duration.ofSeconds(2)))
                    .isInstanceOf(TimeoutException.class)
                    .hasMessageContaining("cannot list the work topics");
        }
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000));
    }
}
