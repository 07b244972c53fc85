package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.START;
import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.WorkRequest;
import io.micrometer.core.instrument.search.Search;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the engine's steps count (docs/observability.md), on the topology in a test driver. */
class EngineMetricsTest {

    private static final Duration ROUND_TRIP = Duration.ofSeconds(2);

    private final EngineDriver engine;

    EngineMetricsTest() throws Exception {
        engine = new EngineDriver();
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldCountASessionsStepsTokensAndRoundTripsFromItsJournal() {
        // Given a session whose model calls a worker tool, then answers; every result arrives 2 s after its request
        engine.register(agent("counted", List.of("noop")));
        engine.tasks.pipeInput("s1", task("s1", "counted", "go"));
        WorkRequest first = engine.nextModelCall();
        engine.workResults.pipeInput("s1", modelReply(first, "", call("a", "noop", "{}")), START.plus(ROUND_TRIP));
        WorkRequest tool = engine.toolWork.readValue();

        // When the tool's result and the last model turn come back
        engine.workResults.pipeInput("s1", toolResult(tool, "done"), START.plus(ROUND_TRIP));
        engine.workResults.pipeInput("s1", modelReply(engine.nextModelCall(), "all done"), START.plus(ROUND_TRIP));

        // Then the counters show one session started and completed, its two turns, its tool call and its results
        assertThat(count("agentlog.sessions.started")).isEqualTo(1);
        assertThat(count(search("agentlog.sessions.ended").tag("status", "COMPLETED")))
                .isEqualTo(1);
        assertThat(count(search("agentlog.model.turns.requested").tag("kind", "turn")))
                .isEqualTo(2);
        assertThat(count(search("agentlog.tool.calls.requested").tag("pool", "tools")))
                .isEqualTo(1);
        assertThat(count(search("agentlog.work.results").tags("kind", "MODEL", "outcome", "OK")))
                .isEqualTo(2);
        assertThat(count(search("agentlog.work.results").tags("kind", "TOOL", "outcome", "OK")))
                .isEqualTo(1);
        assertThat(count(search("agentlog.steps").tag("origin", "input"))).isEqualTo(4);

        // And the tokens and the round trips by model and kind
        assertThat(count(search("agentlog.model.tokens").tags("provider", "scripted", "model", "", "type", "input")))
                .isEqualTo(20);
        assertThat(count(search("agentlog.model.tokens").tags("provider", "scripted", "type", "output")))
                .isEqualTo(10);
        var modelTrips = search("agentlog.work.roundtrip").tag("kind", "MODEL").timer();
        assertThat(modelTrips.count()).isEqualTo(2);
        assertThat(modelTrips.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2 * ROUND_TRIP.toMillis());

        // And Prometheus sees them under their agentlog_ names, the round trips as a histogram
        String text = engine.meters.scrape();
        assertThat(text)
                .contains("agentlog_sessions_started_total 1.0\n")
                .contains("agentlog_sessions_ended_total{status=\"COMPLETED\"} 1.0\n")
                .contains("agentlog_model_tokens_total{model=\"\",provider=\"scripted\",type=\"output\"} 10.0\n")
                .contains("agentlog_work_roundtrip_seconds_bucket{kind=\"MODEL\",le=\"2.5\"} 2\n")
                .contains("agentlog_work_roundtrip_seconds_bucket{kind=\"MODEL\",le=\"1.0\"} 0\n");
    }

    private Search search(String name) {
        return engine.meters.find(name);
    }

    private double count(String name) {
        return count(search(name));
    }

    private static double count(Search search) {
        return search.counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
