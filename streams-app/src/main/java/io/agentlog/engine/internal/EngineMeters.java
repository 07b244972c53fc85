package io.agentlog.engine.internal;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;

/**
 * An engine instance's meters, in one Prometheus registry: the steps' counters ({@link EngineMetrics}), sessions by
 * status ({@link SessionStatusGauges}), Kafka Streams' own client metrics and the JVM's (memory, GC, threads, class
 * loading, CPU). They are counted whether or not the engine serves HTTP; {@code GET /metrics} shows them.
 */
public final class EngineMeters implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final EngineMetrics steps = new EngineMetrics(registry);
    private Optional<KafkaStreamsMetrics> streams = Optional.empty();

    public EngineMeters() {
        List.of(new ClassLoaderMetrics(), new JvmMemoryMetrics(), new JvmThreadMetrics(), new ProcessorMetrics(), gc)
                .forEach(jvm -> jvm.bindTo(registry));
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** What the topology's steps count. */
    public EngineMetrics steps() {
        return steps;
    }

    /** Adds the meters of the engine's Kafka Streams instance: its client metrics and its sessions by status. */
    public synchronized void bind(KafkaStreams kafkaStreams) {
        KafkaStreamsMetrics binder = new KafkaStreamsMetrics(kafkaStreams);
        binder.bindTo(registry);
        streams = Optional.of(binder);
        SessionStatusGauges.register(registry, new LocalSessionStores(kafkaStreams));
    }

    @Override
    public synchronized void close() {
        streams.ifPresent(KafkaStreamsMetrics::close);
        gc.close();
        registry.close();
    }
}
