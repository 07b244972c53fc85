package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agentlog.testkit.SharedBroker;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

class TransactionalRoundTripTest {

    @Test
    void shouldMeasureEveryRoundTripAndDeleteItsTopicWhenDone() throws Exception {
        // Given
        String bootstrap = SharedBroker.bootstrapServers();
        String topic = "agentlog.bench.roundtrip.test";
        TransactionalRoundTrip roundTrip = new TransactionalRoundTrip(bootstrap, topic, Duration.ofSeconds(30));

        // When
        Percentiles millis = roundTrip.measure(50);

        // Then
        assertThat(millis.count()).isEqualTo(50);
        assertThat(millis.min()).isPositive();
        assertThat(millis.percentile(50)).isLessThanOrEqualTo(millis.percentile(99));
        assertThat(millis.percentile(99)).isLessThan(30_000.0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(
                            () -> assertThat(admin.listTopics().names().get()).doesNotContain(topic));
        }
    }

    @Test
    void shouldRefuseNoRoundTripsQuotingTheCount() {
        TransactionalRoundTrip roundTrip = new TransactionalRoundTrip("127.0.0.1:1");

        assertThatThrownBy(() -> roundTrip.measure(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("round trips must be at least 1, but was 0");
    }
}
