package io.agentlog.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkResult;
import io.agentlog.worker.mcp.TestMcpServer;
import io.agentlog.worker.sdk.ToolWorker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A tool service serving a real stdio MCP server's tools on a pool of its own, against a real broker. */
class McpToolWorkerIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String POOL = KafkaFixture.uniquePool("mcp");

    private static ToolWorker worker;
    private static KafkaFixture.WorkProducer producer;
    private static ResultCollector results;

    @BeforeAll
    static void start() {
        KafkaFixture.createTopics(List.of(POOL));
        results = new ResultCollector();
        producer = new KafkaFixture.WorkProducer();
        worker = ToolWorker.builder()
                .bootstrapServers(KafkaFixture.bootstrap())
                .pool(POOL)
                .workerId("mcp-worker")
                .mcpServer(TestMcpServer.spec())
                .start();
    }

    @AfterAll
    static void stop() {
        if (worker != null) {
            worker.close();
        }
        if (producer != null) {
            producer.close();
        }
        if (results != null) {
            results.close();
        }
    }

    @Test
    void shouldAnswerCallsFromTheMcpServerWhenItsToolsAreCalledThroughThePool() {
        // Given a tool service serving the MCP server's tools on its pool
        String add = KafkaFixture.id("mcp-add");
        String meta = KafkaFixture.id("mcp-meta");
        String fail = KafkaFixture.id("mcp-fail");

        // When the engine sends an idempotent add, an at-most-once meta and a fail call to the pool
        producer.commit(
                KafkaFixture.tool(POOL, add, "add", "{\"a\": 20, \"b\": 22}", ToolSemantics.IDEMPOTENT),
                KafkaFixture.tool(POOL, meta, "meta", "{}", ToolSemantics.AT_MOST_ONCE),
                KafkaFixture.tool(POOL, fail, "fail", "{}", ToolSemantics.IDEMPOTENT));

        // Then each is answered by the server: its text, the call's idempotency key, and isError
        WorkResult sum = results.await(add, TIMEOUT);
        assertThat(sum.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ToolOutput) sum.getResult()).getContent()).isEqualTo("42");

        WorkResult metaResult = results.await(meta, TIMEOUT);
        assertThat(metaResult.getOutcome()).isEqualTo(WorkOutcome.OK);
        assertThat(((ToolOutput) metaResult.getResult()).getContent())
                .contains("\"io.agentlog/idempotencyKey\":\"" + metaResult.getSessionId() + "/" + meta + "\"")
                .contains("\"io.agentlog/deliveryCount\":1");

        ToolOutput failed = (ToolOutput) results.await(fail, TIMEOUT).getResult();
        assertThat(failed.getIsError()).isTrue();
        assertThat(failed.getContent()).isEqualTo("it failed on purpose");
    }
}
