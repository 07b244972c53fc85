package io.agentlog.worker.internal;

import io.agentlog.schemas.ModelCosts;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.producer.Producer;

/**
 * A worker process's meters, in one Prometheus registry (see docs/observability.md): what its lanes did with their
 * items (acknowledgements, DLQ records, durations, retries), its model calls (outcomes, tokens, cost), what the lanes
 * count themselves (lost locks, DELAYED results, items answered before, claims lost, items held), the pools' share
 * group lag, the results producer's client metrics and the JVM's. Counted whether or not the worker serves them.
 */
public final class WorkerMetrics implements AutoCloseable {

    /** Item duration buckets, 1 ms to 15 min: a tool call takes milliseconds, a model call seconds to minutes. */
    private static final Duration[] BUCKETS = LongStream.of(
                    1, 5, 25, 100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 900_000)
            .mapToObj(Duration::ofMillis)
            .toArray(Duration[]::new);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> binders = new ArrayList<>();
    /** What the gauges and function counters read: Micrometer holds it weakly, and nothing else holds it. */
    private final List<Object> watched = new ArrayList<>();

    public WorkerMetrics() {
        JvmGcMetrics gc = new JvmGcMetrics();
        binders.add(gc);
        List.of(new ClassLoaderMetrics(), new JvmMemoryMetrics(), new JvmThreadMetrics(), new ProcessorMetrics(), gc)
                .forEach(jvm -> jvm.bindTo(registry));
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Kafka client metrics of the producer of results and DLQ records. */
    public void watch(Producer<?, ?> producer) {
        KafkaClientMetrics client = new KafkaClientMetrics(producer);
        client.bindTo(registry);
        binders.add(client);
    }

    /** What the lanes of one pool count themselves, summed over them, and the pool's share group lag. */
    public void watch(String pool, List<Lane> lanes, ShareGroupLag lag) {
        Tags tags = Tags.of("pool", pool);
        watched.add(lanes);
        watched.add(lag);
        laneCounter(
                "agentlog.worker.lost.locks",
                "Deliveries whose lock was lost while running",
                tags,
                lanes,
                Lane::lostLocks);
        laneCounter(
                "agentlog.worker.delayed.results",
                "DELAYED results published (a model call waiting to try again, or redelivered)",
                tags,
                lanes,
                Lane::delayedReported);
        laneCounter(
                "agentlog.worker.already.answered",
                "Redelivered items acknowledged without running: an earlier delivery's result was committed",
                tags,
                lanes,
                Lane::alreadyAnswered);
        laneCounter(
                "agentlog.worker.claimed.earlier",
                "At-most-once tool calls not run because another delivery claimed them first",
                tags,
                lanes,
                Lane::claimedEarlier);
        Gauge.builder(
                        "agentlog.worker.items.in.flight",
                        lanes,
                        all -> all.stream().mapToInt(Lane::inFlight).sum())
                .description("Items the pool's lanes hold: running, or finished and not yet acknowledged")
                .tags(tags)
                .register(registry);
        Gauge.builder("agentlog.worker.pool.lag", lag, ShareGroupLag::records)
                .description("Records of the pool's work topic its share group has not acknowledged yet (group-wide)")
                .tags(tags)
                .register(registry);
    }

    /** A delivery was acknowledged {@code ack}. */
    void acknowledged(String pool, AcknowledgeType ack) {
        add("agentlog.worker.items", "Items acknowledged", Tags.of("pool", pool, "outcome", ack.name()), 1);
    }

    /** A work record went to the DLQ (undecodable, or poison). */
    void deadLettered(String pool) {
        add("agentlog.worker.dlq", "Work records sent to the DLQ", Tags.of("pool", pool), 1);
    }

    /** One delivery was executed: how long since the lane received it, and what came of it. */
    void executed(String pool, WorkRequest request, Execution execution, long nanos) {
        boolean model = request.getRequest() instanceof ModelCall;
        Timer.builder("agentlog.worker.item.duration")
                .description("From a lane receiving an item to its execution's end")
                .tags("pool", pool, "kind", model ? "model" : "tool")
                .serviceLevelObjectives(BUCKETS)
                .register(registry)
                .record(Duration.ofNanos(nanos));
        if (execution instanceof Execution.Retry) {
            add(
                    "agentlog.worker.retries",
                    "Deliveries released after a transient failure, for redelivery",
                    Tags.of("pool", pool),
                    1);
        }
        if (request.getRequest() instanceof ModelCall call) {
            modelCall(call.getModel(), execution);
        }
    }

    private void modelCall(ModelSpec spec, Execution execution) {
        Tags model = Tags.of("provider", spec.getProvider(), "model", spec.getName());
        String outcome = switch (execution) {
            case Execution.Answer answer -> answer.result().getOutcome().name();
            case Execution.AlreadyAnswered already -> "ALREADY_ANSWERED";
            case Execution.ClaimedEarlier claimed -> "CLAIMED_EARLIER";
            case Execution.Retry retry -> "RETRY";
            case Execution.Reject reject -> "REJECTED";
        };
        add("agentlog.worker.model.calls", "Model calls, by model and outcome", model.and("outcome", outcome), 1);
        if (execution instanceof Execution.Answer answer) {
            Usage usage = answer.result().getUsage();
            ModelCosts.tokensByType(usage)
                    .forEach((type, count) -> add(
                            "agentlog.worker.model.tokens",
                            "Model tokens of the calls this worker answered",
                            model.and("type", type),
                            count));
            add(
                    "agentlog.worker.model.cost.usd",
                    "Cost of the model calls this worker answered, as it priced them",
                    model,
                    usage.getCostMicros() / 1e6);
        }
    }

    private void add(String name, String description, Tags tags, double amount) {
        Counter.builder(name)
                .description(description)
                .tags(tags)
                .register(registry)
                .increment(amount);
    }

    private void laneCounter(String name, String description, Tags tags, List<Lane> lanes, ToLongFunction<Lane> count) {
        FunctionCounter.builder(
                        name, lanes, all -> all.stream().mapToLong(count).sum())
                .description(description)
                .tags(tags)
                .register(registry);
    }

    @Override
    public void close() {
        for (AutoCloseable binder : binders) {
            try {
                binder.close();
            } catch (Exception e) {
                // closing meters cannot fail in a way that matters at shutdown
            }
        }
        registry.close();
    }
}
