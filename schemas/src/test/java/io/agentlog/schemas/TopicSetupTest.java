package io.agentlog.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicSetupTest {

    @Test
    void shouldRequireTwoInSyncReplicasWhenTopicsHaveThreeReplicas() {
        assertThat(TopicSetup.configs(Topics.TASKS, (short) 3)).containsEntry("min.insync.replicas", "2");
        assertThat(TopicSetup.configs(Topics.EVENTS, (short) 3))
                .containsEntry("min.insync.replicas", "2")
                .containsAllEntriesOf(Topics.EVENTS.configs());
    }

    @Test
    void shouldLeaveTheBrokerDefaultWhenTopicsHaveFewerReplicas() {
        assertThat(TopicSetup.configs(Topics.TASKS, (short) 1)).isEqualTo(Topics.TASKS.configs());
        assertThat(TopicSetup.configs(Topics.EVENTS, (short) 2)).doesNotContainKey("min.insync.replicas");
    }
}
