package io.agentlog.engine.internal;

import io.agentlog.engine.session.Step;
import io.agentlog.schemas.ModelCosts;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.HistoryCompacted;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

/**
 * What the engine's steps did, counted from the journal events and the input of every step the engine applies (see
 * docs/observability.md): sessions started and ended, model turns and tool calls requested, work results received,
 * model tokens and cost, and two latencies (a work item's round trip, an input's wait for its step). The decisions
 * know nothing of it: {@link StepWriter} hands it each applied step. A step that is applied again after a crash or
 * a rebalance (exactly-once replays it) is counted again; counters start at 0 with each process.
 */
public final class EngineMetrics {

    /** Histogram buckets, from 5 ms to 10 min: engine hops take milliseconds, a model call seconds to minutes. */
    private static final Duration[] BUCKETS = LongStream.of(
                    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000)
            .mapToObj(Duration::ofMillis)
            .toArray(Duration[]::new);

    /** The step's meters once registered, so the hot path looks them up by name and tags only. */
    private final Map<MeterKey, Counter> counters = new ConcurrentHashMap<>();

    private final Map<MeterKey, Timer> timers = new ConcurrentHashMap<>();
    /** Model tags by {@code agent@version}: one definition lookup per version, not per model turn. */
    private final Map<String, Tags> modelTags = new ConcurrentHashMap<>();

    private final MeterRegistry registry;

    public EngineMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Counts one applied step: its events, and for a work result its kind, outcome and round trip.
     *
     * @param before the session as it was before the step (for the pending work a result answers)
     * @param catalog where the session's model is looked up, for tokens and cost by model
     */
    void applied(Step step, Optional<SessionState> before, Origin origin, AgentCatalog catalog) {
        count("agentlog.steps", "Steps applied", "origin", origin instanceof Origin.Timer ? "timer" : "input");
        for (SessionEvent event : step.events()) {
            switch (event.getEvent()) {
                case SessionStarted started -> count("agentlog.sessions.started", "Sessions started");
                case SessionEnded ended ->
                    count(
                            "agentlog.sessions.ended",
                            "Sessions ended",
                            "status",
                            ended.getStatus().name());
                case ModelRequested requested ->
                    count(
                            "agentlog.model.turns.requested",
                            "Model calls requested",
                            "kind",
                            requested.getCompactsThrough() == null ? "turn" : "compaction");
                case ToolRequested requested ->
                    count("agentlog.tool.calls.requested", "Tool calls requested", "pool", requested.getPool());
                case ModelResponded responded -> usage(responded.getUsage(), step, catalog);
                case HistoryCompacted compacted -> {
                    if (compacted.getUsage() != null) {
                        usage(compacted.getUsage(), step, catalog);
                    }
                }
                default -> {
                    // other events are not counted
                }
            }
        }
        if (origin instanceof Origin.Input input) {
            latency(
                    "agentlog.step.input.delay",
                    "From an input record's timestamp to the engine's step on it",
                    Tags.of("topic", input.topic()),
                    step.now() - input.timestamp());
            if (input.value() instanceof WorkResult result) {
                workResult(result, before, input.timestamp());
            }
        }
    }

    private void workResult(WorkResult result, Optional<SessionState> before, long arrivedAt) {
        Optional<PendingWork> pending = before.flatMap(state -> state.getPending().stream()
                .filter(work -> work.getWorkId().equals(result.getWorkId()))
                .findFirst());
        String kind = pending.map(work -> work.getKind().name()).orElse("NONE");
        count(
                "agentlog.work.results",
                "Work results received, by the kind of work they answer (NONE: nothing waited for it)",
                "kind",
                kind,
                "outcome",
                result.getOutcome().name());
        if (pending.isPresent() && result.getOutcome() != WorkOutcome.DELAYED) {
            latency(
                    "agentlog.work.roundtrip",
                    "From the step that requested a work item to its result's record timestamp",
                    Tags.of("kind", kind),
                    arrivedAt - pending.get().getRequestedAt().toEpochMilli());
        }
    }

    private void usage(Usage usage, Step step, AgentCatalog catalog) {
        Tags tags = step.state()
                .map(state -> modelTags(state.getAgent(), state.getAgentVersion(), catalog))
                .orElseGet(() -> modelTags(Optional.empty()));
        ModelCosts.tokensByType(usage)
                .forEach((type, count) -> add(
                        "agentlog.model.tokens",
                        "Model tokens, from the usage the journal records",
                        tags.and("type", type),
                        count));
        add(
                "agentlog.model.cost.usd",
                "Cost of model calls, as the journal prices them",
                tags,
                usage.getCostMicros() / 1e6);
    }

    /** The provider and model of an agent version; a registered version never changes, so they are kept once found. */
    private Tags modelTags(String agent, Integer version, AgentCatalog catalog) {
        String key = agent + "@" + version;
        Tags known = modelTags.get(key);
        if (known != null) {
            return known;
        }
        Optional<AgentDefinition> definition = catalog.lookup(agent, version);
        Tags tags = modelTags(definition);
        if (definition.isPresent() && version != null) {
            modelTags.put(key, tags);
        }
        return tags;
    }

    private static Tags modelTags(Optional<AgentDefinition> definition) {
        Optional<ModelSpec> model = definition.map(AgentDefinition::getModel);
        return Tags.of(
                "provider", model.map(ModelSpec::getProvider).orElse("unknown"),
                "model", model.map(ModelSpec::getName).orElse(""));
    }

    private void count(String name, String description, String... tags) {
        add(name, description, Tags.of(tags), 1);
    }

    private void add(String name, String description, Tags tags, double amount) {
        counters.computeIfAbsent(
                        new MeterKey(name, tags),
                        key -> Counter.builder(name)
                                .description(description)
                                .tags(tags)
                                .register(registry))
                .increment(amount);
    }

    private void latency(String name, String description, Tags tags, long millis) {
        timers.computeIfAbsent(
                        new MeterKey(name, tags),
                        key -> Timer.builder(name)
                                .description(description)
                                .tags(tags)
                                .serviceLevelObjectives(BUCKETS)
                                .register(registry))
                .record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    /** A meter's name and tags: registering a meter builds and looks up its id, which every step would repeat. */
    private record MeterKey(String name, Tags tags) {}
}
