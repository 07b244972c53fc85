package io.agentlog.engine;

import io.agentlog.engine.internal.WorkPools;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KafkaStreams.State;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running engine instance: the Streams topology of {@link EngineTopology}. Start as many as you like. */
public final class Engine implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaStreams streams;
    private final WorkPools pools;
    private final CountDownLatch running = new CountDownLatch(1);
    private volatile Throwable failure;

    private Engine(EngineConfig config) {
        this.pools = WorkPools.watching(config.bootstrapServers(), Duration.ofSeconds(5));
        Topology topology = EngineTopology.build(config, pools);
        this.streams = new KafkaStreams(topology, StreamsSettings.of(config));
        streams.setStateListener((now, before) -> {
            log.info("Engine {} -> {}", before, now);
            if (now == State.RUNNING) {
                running.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            failure = e;
            log.error("Engine stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .REPLACE_THREAD;
        });
    }

    public static Engine start(EngineConfig config) {
        if (config.standbyReplicas() > 0) {
            StreamsGroupConfig.setStandbyReplicas(config);
        }
        Engine engine = new Engine(config);
        engine.streams.start();
        log.info("Engine {} starting against {}", config.applicationId(), config.bootstrapServers());
        return engine;
    }

    /** Waits until the engine has its tasks and processes records. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public State state() {
        return streams.state();
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** The last stream thread failure, if any (the thread was replaced). */
    public Throwable lastFailure() {
        return failure;
    }

    /** Leaves the group and flushes state (a clean SIGTERM path). */
    @Override
    public void close() {
        streams.close(new KafkaStreams.CloseOptions().timeout(CLOSE_TIMEOUT).leaveGroup(true));
        pools.close();
    }
}
