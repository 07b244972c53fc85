package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.engine.internal.StepTracing;
import io.agentlog.engine.internal.WorkPools;
import io.agentlog.engine.session.StepFaults;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.telemetry.GenAi;
import io.agentlog.telemetry.SessionTrace;
import io.agentlog.telemetry.TraceHeaders;
import io.agentlog.telemetry.Tracing;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** The engine's spans and the trace context on its work records (docs/observability.md), in a test driver. */
class EngineTracingTest {

    @Test
    void shouldTraceEveryStepUnderTheSessionsRootAndHandEachWorkItemItsStepsContextWhenTracingIsOn() throws Exception {
        // Given an engine whose steps are traced to memory, and an agent whose model calls a worker tool, then answers
        InMemorySpanExporter exported = InMemorySpanExporter.create();
        try (Tracing tracing = Tracing.with(exported, "engine");
                EngineDriver engine = new EngineDriver(
                        EngineConfig.defaults("unused:9092", EngineDriver.tempDir()),
                        WorkPools.fixed(Set.copyOf(Topics.DEFAULT_POOLS)),
                        StepFaults.NONE,
                        new StepTracing(tracing))) {
            engine.register(agent("traced", List.of("noop")));
            SessionTrace trace = SessionTrace.of("t1");

            // When a session of it runs to its end
            engine.tasks.pipeInput("t1", task("t1", "traced", "go"));
            TestRecord<String, WorkRequest> firstCall = engine.modelWork.readRecord();
            engine.workResults.pipeInput("t1", modelReply(firstCall.value(), "", call("a", "noop", "{}")));
            TestRecord<String, WorkRequest> toolCall = engine.toolWork.readRecord();
            engine.workResults.pipeInput("t1", toolResult(toolCall.value(), "done"));
            engine.workResults.pipeInput("t1", modelReply(engine.nextModelCall(), "all done"));

            // Then each step is a span of the session's derived trace, a child of its root, named after the agent
            List<SpanData> steps = exported.getFinishedSpanItems().stream()
                    .filter(s -> s.getName().equals("step traced"))
                    .toList();
            assertThat(steps).hasSize(4);
            assertThat(steps).allSatisfy(step -> {
                assertThat(step.getTraceId()).isEqualTo(trace.traceId());
                assertThat(step.getParentSpanId()).isEqualTo(trace.rootSpanId());
                assertThat(step.getAttributes().get(GenAi.CONVERSATION_ID)).isEqualTo("t1");
                assertThat(step.getAttributes().get(GenAi.AGENT_NAME)).isEqualTo("traced");
            });
            assertThat(steps.get(0).getAttributes().get(GenAi.STEP_EVENTS))
                    .contains("SessionStarted", "ModelRequested");
            assertThat(steps.get(0).getAttributes().get(GenAi.STEP_ORIGIN)).isEqualTo(Topics.TASKS.name());

            // And each work record carries the context of the step that requested it
            assertThat(traceparent(firstCall))
                    .isEqualTo("00-" + trace.traceId() + "-" + steps.get(0).getSpanId() + "-01");
            assertThat(traceparent(toolCall))
                    .isEqualTo("00-" + trace.traceId() + "-" + steps.get(1).getSpanId() + "-01");

            // And the session's end exported its root span with the derived ids and its usage
            SpanData root = exported.getFinishedSpanItems().stream()
                    .filter(s -> s.getName().equals("invoke_agent traced"))
                    .findFirst()
                    .orElseThrow();
            assertThat(root.getTraceId()).isEqualTo(trace.traceId());
            assertThat(root.getSpanId()).isEqualTo(trace.rootSpanId());
            assertThat(root.getAttributes().get(GenAi.OPERATION_NAME)).isEqualTo("invoke_agent");
            assertThat(root.getAttributes().get(GenAi.INPUT_TOKENS)).isEqualTo(20L);
            assertThat(root.getAttributes().get(GenAi.OUTPUT_TOKENS)).isEqualTo(10L);
            assertThat(root.getAttributes().get(GenAi.SESSION_STATUS)).isEqualTo("COMPLETED");
        }
    }

    @Test
    void shouldWriteNoTraceHeaderWhenTracingIsOff() throws Exception {
        // Given an engine without tracing
        try (EngineDriver engine = new EngineDriver()) {
            engine.register(agent("untraced", List.of("noop")));

            // When a session asks for a model turn
            engine.tasks.pipeInput("u1", task("u1", "untraced", "go"));

            // Then its work record has no headers at all
            assertThat(engine.modelWork.readRecord().headers().toArray()).isEmpty();
        }
    }

    private static String traceparent(TestRecord<String, WorkRequest> record) {
        var header = record.headers().lastHeader(TraceHeaders.TRACEPARENT);
        assertThat(header).as("traceparent on " + record).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }
}
