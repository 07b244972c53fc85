package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `agentlog up`, `status` and `down` on free ports and a home of their own. */
class LocalStackTest {

    @TempDir
    Path home;

    private LocalStack stack;

    @AfterEach
    void stopEverything() {
        if (stack != null) {
            stack.down(Duration.ofSeconds(20));
        }
    }

    @Test
    void shouldStartDetachedProcessesOnceAndStopThemWhenUpThenDown() throws Exception {
        // Given
        stack = new LocalStack(new StackLayout(home));
        LocalStack.UpOptions options = new LocalStack.UpOptions(
                freePort(), freePort(), Topics.DEFAULT_POOLS, freePort(), String.valueOf(freePort()), Map.of());
        StringWriter out = new StringWriter();

        // When
        boolean started = stack.up(options, Optional.of(Demo.demoAgentText()), new PrintWriter(out, true));

        // Then
        assertThat(started).isTrue();
        assertThat(out.toString())
                .contains("Started broker", "Registered agent demo@1", "Started engine", "Started worker");
        LocalStack.Status status = stack.status();
        assertThat(status.allRunning()).isTrue();
        assertThat(status.bootstrapServers()).contains("127.0.0.1:" + options.port());
        try (AgentlogClient client =
                new AgentlogClient(status.bootstrapServers().orElseThrow())) {
            assertThat(client.agents()).extracting(AgentDefinition::getName).contains("demo");
        }
        HttpCalls http = new HttpCalls("http://127.0.0.1:" + options.httpPort());
        Awaitility.await("the engine's HTTP API ready on port " + options.httpPort())
                .atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> http.get("/ready").status() == 200);
        assertThat(http.get("/agents").body()).contains("\"name\":\"demo\"");

        // And the worker serves its metrics on the port it was given
        HttpCalls workerMetrics = new HttpCalls("http://127.0.0.1:" + options.workerMetricsPort());
        Awaitility.await("the worker's metrics answer")
                .atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(workerMetrics.get("/metrics").body())
                        .contains("agentlog_worker_items_in_flight{pool=\"model\"}"));

        // When started again, nothing new starts
        assertThat(stack.up(options, Optional.empty(), new PrintWriter(new StringWriter())))
                .isFalse();

        // When
        List<String> stopped = stack.down(Duration.ofSeconds(20));

        // Then
        assertThat(stopped).hasSize(3).allMatch(line -> line.startsWith("Stopped "));
        assertThat(stack.status().noneRunning()).isTrue();
        assertThat(home.resolve("logs").resolve("engine.log")).exists();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
