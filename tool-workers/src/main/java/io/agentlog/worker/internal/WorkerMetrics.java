package io.agentlog.worker.internal;

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
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.producer.Producer;

/**
 * A worker process's meters, in one Prometheus registry (see docs/observability.md): what its lanes did with their
 * items (acknowledgements, DLQ records, durations, retries), its model calls (outcomes, tokens, cost), what the lanes
 * count themselves (lost locks, DELAYED results, items answered before, claims lost, items held), the pools' share
 * group lag, the results producer's client metrics and the JVM's. Counted whether or not the worker serves them.
 */
public final class WorkerMetrics implements AutoCloseable {

    /** From 5 ms to 10 min: a tool call takes milliseconds, a model call seconds to minutes. */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5),
        Duration.ofMillis(10),
        Duration.ofMillis(25),
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofMinutes(1),
        Duration.ofMinutes(2),
        Duration.ofMinutes(5),
        Duration.ofMinutes(10)
    };

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> binders = new ArrayList<>();
    /** What the gauges and function counters read: Micrometer holds it weakly, and nothing else holds it. */
    private final List<Object> watched = new ArrayList<>();

    public WorkerMetrics() {
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
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
        Counter.builder("agentlog.worker.items")
                .description("Items acknowledged, by pool and acknowledgement")
                .tags("pool", pool, "outcome", ack.name())
                .register(registry)
                .increment();
    }

    /** A work record went to the DLQ (undecodable, or poison). */
    void deadLettered(String pool) {
        Counter.builder("agentlog.worker.dlq")
                .description("Work records sent to the DLQ")
                .tags("pool", pool)
                .register(registry)
                .increment();
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
            Counter.builder("agentlog.worker.retries")
                    .description("Deliveries released after a transient failure, for redelivery")
                    .tags("pool", pool)
                    .register(registry)
                    .increment();
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
        Counter.builder("agentlog.worker.model.calls")
                .description("Model calls, by model and outcome")
                .tags(model.and("outcome", outcome))
                .register(registry)
                .increment();
        if (execution instanceof Execution.Answer answer) {
            Usage usage = answer.result().getUsage();
            long cached = usage.getCachedInputTokens();
            tokens(model.and("type", "input"), Math.max(0, usage.getInputTokens() - cached));
            tokens(model.and("type", "cached_input"), cached);
            tokens(model.and("type", "output"), usage.getOutputTokens());
            Counter.builder("agentlog.worker.model.cost")
                    .description("Cost of the model calls this worker answered, as it priced them")
                    .baseUnit("usd")
                    .tags(model)
                    .register(registry)
                    .increment(usage.getCostMicros() / 1e6);
        }
    }

    private void tokens(Tags tags, long count) {
        Counter.builder("agentlog.worker.model.tokens")
                .description("Model tokens of the calls this worker answered")
                .tags(tags)
                .register(registry)
                .increment(count);
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
