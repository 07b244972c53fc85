package io.agentlog.engine;

import io.agentlog.engine.http.HttpApi;
import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.engine.internal.AgentsCatchUp;
import io.agentlog.engine.internal.DeadInstanceFencer;
import io.agentlog.engine.internal.EngineMeters;
import io.agentlog.engine.internal.InputPartitions;
import io.agentlog.engine.internal.OutputTopics;
import io.agentlog.engine.internal.ProductionFailures;
import io.agentlog.engine.internal.StepTracing;
import io.agentlog.engine.internal.ThreadFailures;
import io.agentlog.engine.internal.WorkPools;
import io.agentlog.engine.session.StepFaults;
import io.agentlog.telemetry.Tracing;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KafkaStreams.State;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running engine instance: the Streams topology of {@link EngineTopology}. Start as many as you like. */
public final class Engine implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** How long start-up waits for the cluster to answer the first topic listings. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private static final Duration POOLS_REFRESH = Duration.ofSeconds(5);
    /** Stream thread failures tolerated within the window before the instance shuts down. */
    private static final int MAX_THREAD_FAILURES = 5;

    private static final Duration THREAD_FAILURE_WINDOW = Duration.ofMinutes(10);

    private final Admin admin;
    private final KafkaStreams streams;
    private final WorkPools pools;
    private final DeadInstanceFencer fencer;
    private final Optional<HttpApi> http;
    private final EngineMeters meters;
    private final Tracing tracing;
    private final ThreadFailures threadFailures = new ThreadFailures(MAX_THREAD_FAILURES, THREAD_FAILURE_WINDOW);
    private final CountDownLatch running = new CountDownLatch(1);
    private final CountDownLatch failed = new CountDownLatch(1);

    private Engine(
            EngineConfig config,
            Admin admin,
            WorkPools pools,
            InputPartitions partitions,
            StepFaults faults,
            Optional<HttpApi> http,
            EngineMeters meters,
            Tracing tracing) {
        this.admin = admin;
        this.tracing = tracing;
        this.pools = pools;
        this.http = http;
        this.meters = meters;
        this.fencer = new DeadInstanceFencer(admin, config.applicationId());
        ProductionFailures failures = new ProductionFailures();
        AgentsCatchUp agentsCatchUp = AgentsCatchUp.of(admin);
        Topology topology = EngineTopology.build(
                config, pools, partitions, failures, faults, agentsCatchUp, meters.steps(), new StepTracing(tracing));
        Properties settings = StreamsSettings.of(config, failures);
        // interactive queries: other instances forward requests for this instance's sessions here
        http.ifPresent(api -> settings.put(
                StreamsConfig.APPLICATION_SERVER_CONFIG,
                api.hostInfo().host() + ":" + api.hostInfo().port()));
        this.streams = new KafkaStreams(topology, settings);
        meters.bind(streams);
        http.ifPresent(api -> api.attach(streams, agentsCatchUp));
        streams.setStateListener((now, before) -> {
            log.info("Engine {} -> {}", before, now);
            if (now == State.REBALANCING) {
                // a member joined or left: if one died, abort its open transaction now rather than after its timeout
                fencer.check();
            }
            if (now == State.RUNNING) {
                running.countDown();
            }
            if (now == State.ERROR || now == State.PENDING_ERROR) {
                failed.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(threadFailures);
    }

    /** Starts an engine without the HTTP API. */
    public static Engine start(EngineConfig config) {
        return start(config, HttpApiConfig.disabled(), StepFaults.NONE);
    }

    /** Starts an engine with its HTTP API (see docs/api.md), unless {@code http} is disabled. */
    public static Engine start(EngineConfig config, HttpApiConfig http) {
        return start(config, http, StepFaults.NONE);
    }

    /** Starts an engine whose steps run through a failure injector (tests of the all-or-nothing step). */
    public static Engine start(EngineConfig config, StepFaults faults) {
        return start(config, HttpApiConfig.disabled(), faults);
    }

    private static Engine start(EngineConfig config, HttpApiConfig httpConfig, StepFaults faults) {
        if (config.standbyReplicas() > 0) {
            StreamsGroupConfig.setStandbyReplicas(config);
        }
        Admin admin = Admin.create(config.clientProperties());
        WorkPools pools = null;
        Optional<HttpApi> http = Optional.empty();
        EngineMeters meters = new EngineMeters();
        Tracing tracing = Tracing.start(config.tracing());
        try {
            InputPartitions partitions = InputPartitions.lookup(admin, START_TIMEOUT);
            OutputTopics.require(admin, OutputTopics.NAMES, START_TIMEOUT);
            pools = WorkPools.watching(admin, POOLS_REFRESH, START_TIMEOUT);
            if (httpConfig.enabled()) {
                http = Optional.of(HttpApi.start(
                        httpConfig, config.bootstrapServers(), config.kafkaProperties(), meters.registry()));
            }
            Engine engine = new Engine(config, admin, pools, partitions, faults, http, meters, tracing);
            engine.streams.start();
            log.info("Engine {} starting against {}", config.applicationId(), config.bootstrapServers());
            return engine;
        } catch (TimeoutException | RuntimeException e) {
            if (pools != null) {
                pools.close();
            }
            http.ifPresent(HttpApi::close);
            meters.close();
            tracing.close();
            admin.close(Duration.ofSeconds(5));
            throw new IllegalStateException("the engine cannot start: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            meters.close();
            tracing.close();
            admin.close(Duration.ofSeconds(5));
            throw new IllegalStateException("interrupted while the engine started", e);
        }
    }

    /** Waits until the engine has its tasks and processes records. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until the engine has shut down on its own after repeated stream thread failures. */
    public boolean awaitFailure(Duration timeout) throws InterruptedException {
        return failed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public State state() {
        return streams.state();
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** The HTTP API's port, if it serves one. */
    public OptionalInt httpPort() {
        return http.map(api -> OptionalInt.of(api.port())).orElse(OptionalInt.empty());
    }

    /** This instance's meters (what {@code GET /metrics} shows). */
    public MeterRegistry meters() {
        return meters.registry();
    }

    /** The last stream thread failure, if any. */
    public Throwable lastFailure() {
        return threadFailures.last();
    }

    /** Leaves the group and flushes state (a clean SIGTERM path). */
    @Override
    public void close() {
        http.ifPresent(HttpApi::close);
        streams.close(new KafkaStreams.CloseOptions().timeout(CLOSE_TIMEOUT).leaveGroup(true));
        fencer.close();
        pools.close();
        meters.close();
        tracing.close(); // after the streams: exports the last steps' spans
        admin.close(Duration.ofSeconds(5));
    }
}
