package io.agentlog.engine;

import io.agentlog.engine.internal.AgentsCatchUp;
import io.agentlog.engine.internal.EngineMetrics;
import io.agentlog.engine.internal.InputPartitions;
import io.agentlog.engine.internal.ProductionFailures;
import io.agentlog.engine.internal.StepTracing;
import io.agentlog.engine.internal.WorkPools;
import io.agentlog.engine.session.StepFaults;
import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkCancelled;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/** The engine topology in a {@link TopologyTestDriver}, with typed topics and small builders for tests. */
final class EngineDriver implements AutoCloseable {

    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    final EngineConfig config;
    /** What the topology's steps counted. */
    final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    final TopologyTestDriver driver;
    final TestInputTopic<String, AgentDefinition> agents;
    final TestInputTopic<String, TaskSubmitted> tasks;
    final TestInputTopic<String, byte[]> rawTasks;
    final TestInputTopic<String, ControlCommand> control;
    final TestInputTopic<String, WorkResult> workResults;
    final TestOutputTopic<String, WorkRequest> modelWork;
    final TestOutputTopic<String, WorkRequest> toolWork;
    final TestOutputTopic<String, WorkRequest> sandboxWork;
    final TestOutputTopic<String, SessionEvent> events;
    final TestOutputTopic<String, SessionResult> results;
    final TestOutputTopic<byte[], byte[]> dlq;
    final TestOutputTopic<String, TaskSubmitted> tasksOut;
    final TestOutputTopic<String, WorkResult> workResultsOut;
    final TestOutputTopic<String, ControlCommand> controlOut;
    final TestOutputTopic<String, WorkCancelled> cancels;

    EngineDriver() throws Exception {
        this(EngineConfig.defaults("unused:9092", Files.createTempDirectory("agentlog-engine-test")));
    }

    EngineDriver(EngineConfig config) {
        this(config, WorkPools.fixed(Set.copyOf(Topics.DEFAULT_POOLS)), StepFaults.NONE);
    }

    EngineDriver(EngineConfig config, WorkPools pools, StepFaults faults) {
        this(config, pools, faults, StepTracing.OFF);
    }

    /** A driver whose steps are traced by {@code tracing}. */
    EngineDriver(EngineConfig config, WorkPools pools, StepFaults faults, StepTracing tracing) {
        this.config = config;
        Properties props = StreamsSettings.of(config);
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
        driver = new TopologyTestDriver(
                EngineTopology.build(
                        config,
                        pools,
                        new InputPartitions(Map.of()),
                        new ProductionFailures(),
                        faults,
                        AgentsCatchUp.inline(),
                        new EngineMetrics(meters),
                        tracing),
                props,
                START);
        var keys = Serdes.String();
        agents = driver.createInputTopic(
                Topics.AGENTS.name(),
                keys.serializer(),
                Topics.AGENTS.valueSerde().serializer());
        tasks = driver.createInputTopic(
                Topics.TASKS.name(),
                keys.serializer(),
                Topics.TASKS.valueSerde().serializer());
        rawTasks = driver.createInputTopic(
                Topics.TASKS.name(), keys.serializer(), Serdes.ByteArray().serializer());
        control = driver.createInputTopic(
                Topics.CONTROL.name(),
                keys.serializer(),
                Topics.CONTROL.valueSerde().serializer());
        workResults = driver.createInputTopic(
                Topics.WORK_RESULTS.name(),
                keys.serializer(),
                Topics.WORK_RESULTS.valueSerde().serializer());
        var work = AvroSerde.of(WorkRequest.class).deserializer();
        modelWork = driver.createOutputTopic(Topics.workTopicName(Topics.MODEL_POOL), keys.deserializer(), work);
        toolWork = driver.createOutputTopic(Topics.workTopicName(Topics.TOOLS_POOL), keys.deserializer(), work);
        sandboxWork = driver.createOutputTopic(Topics.workTopicName(Topics.SANDBOX_POOL), keys.deserializer(), work);
        events = driver.createOutputTopic(
                Topics.EVENTS.name(),
                keys.deserializer(),
                Topics.EVENTS.valueSerde().deserializer());
        results = driver.createOutputTopic(
                Topics.RESULTS.name(),
                keys.deserializer(),
                Topics.RESULTS.valueSerde().deserializer());
        dlq = driver.createOutputTopic(
                Topics.DLQ.name(),
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
        tasksOut = driver.createOutputTopic(
                Topics.TASKS.name(),
                keys.deserializer(),
                Topics.TASKS.valueSerde().deserializer());
        workResultsOut = driver.createOutputTopic(
                Topics.WORK_RESULTS.name(),
                keys.deserializer(),
                Topics.WORK_RESULTS.valueSerde().deserializer());
        controlOut = driver.createOutputTopic(
                Topics.CONTROL.name(),
                keys.deserializer(),
                Topics.CONTROL.valueSerde().deserializer());
        cancels = driver.createOutputTopic(
                Topics.CANCELS.name(),
                keys.deserializer(),
                Topics.CANCELS.valueSerde().deserializer());
    }

    // ---- builders ----

    static AgentDefinition agent(String name, int version, List<String> tools, Limits limits) {
        List<ToolSpec> specs =
                tools.stream().map(t -> BuiltinTools.find(t).orElseThrow()).toList();
        return AgentDefinition.newBuilder()
                .setName(name)
                .setVersion(version)
                .setModel(ModelSpec.newBuilder().setProvider("scripted").build())
                .setSystemPrompt("You are a test agent.")
                .setTools(specs)
                .setLimits(limits)
                .build();
    }

    static AgentDefinition agent(String name, List<String> tools) {
        return agent(name, 1, tools, new Limits());
    }

    static TaskSubmitted task(String sessionId, String agent, String input) {
        return TaskSubmitted.newBuilder()
                .setSessionId(sessionId)
                .setAgent(agent)
                .setInput(input)
                .build();
    }

    static ToolCall call(String id, String name, String argsJson) {
        return new ToolCall(id, name, argsJson);
    }

    static WorkResult modelReply(WorkRequest request, String text, ToolCall... calls) {
        return WorkResult.newBuilder()
                .setWorkId(request.getWorkId())
                .setSessionId(request.getSessionId())
                .setOutcome(WorkOutcome.OK)
                .setResult(ModelReply.newBuilder()
                        .setText(text)
                        .setToolCalls(List.of(calls))
                        .build())
                .setUsage(new Usage(10L, 5L, 0L, 0L))
                .build();
    }

    static WorkResult toolResult(WorkRequest request, String content) {
        return WorkResult.newBuilder()
                .setWorkId(request.getWorkId())
                .setSessionId(request.getSessionId())
                .setOutcome(WorkOutcome.OK)
                .setResult(ToolOutput.newBuilder().setContent(content).build())
                .setUsage(new Usage(0L, 0L, 0L, 0L))
                .build();
    }

    void register(AgentDefinition definition) {
        agents.pipeInput(Topics.agentKey(definition.getName(), definition.getVersion()), definition);
    }

    WorkRequest nextModelCall() {
        WorkRequest request = modelWork.readValue();
        if (!(request.getRequest() instanceof ModelCall)) {
            throw new AssertionError("expected a model call, got " + request);
        }
        return request;
    }

    /** The request of {@code session} among requests read from a work topic (several sessions' at once). */
    static WorkRequest requestOf(List<WorkRequest> requests, String session) {
        return requests.stream()
                .filter(r -> r.getSessionId().equals(session))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no request of session " + session + " in " + requests));
    }

    ModelCall modelCall(WorkRequest request) {
        return (ModelCall) request.getRequest();
    }

    List<SessionEvent> allEvents() {
        return events.readValuesToList();
    }

    Map<String, String> dlqHeaders(TestRecord<byte[], byte[]> record) {
        Map<String, String> out = new java.util.HashMap<>();
        record.headers().forEach(h -> out.put(h.key(), new String(h.value(), java.nio.charset.StandardCharsets.UTF_8)));
        return out;
    }

    @Override
    public void close() {
        driver.close();
    }

    static Path tempDir() throws Exception {
        return Files.createTempDirectory("agentlog-engine-test");
    }
}
