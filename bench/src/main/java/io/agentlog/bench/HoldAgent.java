package io.agentlog.bench;

import io.agentlog.schemas.Topic;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The agent that parks: its one scripted turn calls {@link #TOOL}, a tool of pool {@link #POOL}, whose work topic
 * exists but which no worker serves, with a timeout of hours. So a session waits on the call (its
 * {@code ToolRequested} is journaled) until the benchmark answers it, writing a {@code WorkResult} as a worker
 * would, or forever. The step budget is that one turn: once the call is answered, the engine ends the session
 * {@code BUDGET_EXCEEDED} in the same step, without another model turn.
 */
final class HoldAgent {

    static final String NAME = "bench-hold";
    static final String POOL = "bench-hold";
    static final String TOOL = "bench_hold";
    static final Duration TOOL_TIMEOUT = Duration.ofHours(12);
    static final String CALL_ID = "call_hold";

    private HoldAgent() {}

    static AgentDefinition definition(int version) {
        return ScriptedAgent.defineWith(
                NAME,
                version,
                "agentlog bench: one call of a tool no worker serves, so the session waits on it",
                List.of(tool()),
                List.of(ScriptedAgent.calling(List.of(ToolCall.newBuilder()
                        .setId(CALL_ID)
                        .setName(TOOL)
                        .setArguments("{}")
                        .build()))));
    }

    static ToolSpec tool() {
        return ToolSpec.newBuilder()
                .setName(TOOL)
                .setDescription("waits: no worker serves its pool (agentlog bench)")
                .setPool(POOL)
                .setSemantics(ToolSemantics.IDEMPOTENT)
                .setTimeoutMs(TOOL_TIMEOUT.toMillis())
                .build();
    }

    /**
     * Creates the pool's work topic on a stack that lacks it (a throwaway stack has it from the start). An engine
     * that is already running sees a new work topic within seconds; until then it refuses the agent, which the
     * benchmarks' probe retries.
     */
    static void ensureTopic(String bootstrap) {
        Topic<String, WorkRequest> topic = Topics.work(POOL);
        try (Admin admin = BenchStack.admin(bootstrap)) {
            Set<String> names = BenchStack.await(admin.listTopics().names(), "list the topics", bootstrap);
            if (names.contains(topic.name())) {
                return;
            }
            NewTopic create = new NewTopic(topic.name(), Optional.of(topic.partitions()), Optional.empty())
                    .configs(topic.configs());
            try {
                BenchStack.await(admin.createTopics(List.of(create)).all(), "create " + topic.name(), bootstrap);
            } catch (BenchException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
    }
}
