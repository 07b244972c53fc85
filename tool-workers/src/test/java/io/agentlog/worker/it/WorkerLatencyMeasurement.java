package io.agentlog.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.Worker;
import io.agentlog.worker.WorkerConfig;
import io.agentlog.worker.model.ModelProviders;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolOutputs;
import io.agentlog.worker.tool.ToolRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the worker hop (a transactional request committed until its result is visible to a read_committed
 * consumer). Not part of the normal build: run with {@code -Dagentlog.measure=true -Dtest=WorkerLatencyMeasurement}.
 * It reports; it asserts only that every result arrived.
 */
@EnabledIfSystemProperty(named = "agentlog.measure", matches = "true")
class WorkerLatencyMeasurement {

    private static final Logger log = LoggerFactory.getLogger(WorkerLatencyMeasurement.class);
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    /** Sleeps like a slow model call. */
    private static final Tool SLOW = new Tool() {
        @Override
        public String name() {
            return "sleep_2s";
        }

        @Override
        public ToolOutput run(ToolInvocation invocation, WorkContext context) {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ToolOutputs.ok("slept");
        }
    };

    @Test
    void measure() throws Exception {
        int sequential = Integer.getInteger("agentlog.measure.items", 300);
        String pool = KafkaFixture.uniquePool("lat");
        KafkaFixture.createTopics(List.of(Topics.MODEL_POOL, pool));
        WorkerConfig config = WorkerConfig.builder()
                .bootstrapServers(KafkaFixture.bootstrap())
                .pools(List.of(Topics.MODEL_POOL, pool))
                .workerId("measure")
                .maxConcurrency(256)
                .consumersPerPool(Integer.getInteger("agentlog.measure.consumers", 16))
                .httpAllowList(Set.of())
                .build();
        try (var producer = new KafkaFixture.WorkProducer();
                var results = new ResultCollector();
                Worker worker = Worker.start(
                        config, ToolRegistry.builtins(config).with(SLOW), ModelProviders.defaults(config))) {
            // warm up: joins, metadata, JIT
            for (int i = 0; i < 30; i++) {
                hop(
                        producer,
                        results,
                        KafkaFixture.tool(pool, KafkaFixture.id("warm"), "noop", "{}", ToolSemantics.IDEMPOTENT));
            }

            PARTS.clear();
            long[] tool = new long[sequential];
            for (int i = 0; i < sequential; i++) {
                tool[i] = hop(
                        producer,
                        results,
                        KafkaFixture.tool(pool, KafkaFixture.id("seq"), "noop", "{}", ToolSemantics.IDEMPOTENT));
            }
            report("noop tool, one at a time", tool);
            reportParts("noop");

            // the same tool at-most-once: each first delivery claims (a write, then a read of the results partition)
            long[] claimed = new long[sequential];
            for (int i = 0; i < sequential; i++) {
                claimed[i] = hop(
                        producer,
                        results,
                        KafkaFixture.tool(pool, KafkaFixture.id("amo"), "noop", "{}", ToolSemantics.AT_MOST_ONCE));
            }
            report("noop tool at-most-once (claimed), one at a time", claimed);
            reportParts("at-most-once noop");

            var script = List.of(ScriptedTurn.newBuilder().setText("hello").build());
            long[] model = new long[sequential];
            for (int i = 0; i < sequential; i++) {
                model[i] = hop(
                        producer,
                        results,
                        KafkaFixture.scriptedModel(Topics.MODEL_POOL, KafkaFixture.id("model"), 0, script));
            }
            report("scripted model call, one at a time", model);
            reportParts("model");

            burst(producer, results, pool, "noop", 1000);
            burst(producer, results, pool, "sleep_2s", 200);
            assertThat(worker.lostLocks()).isZero();
        }
    }

    private static final List<long[]> PARTS = new ArrayList<>();

    /**
     * Commits one request, waits for its result; returns the microseconds from before the commit to visibility, and
     * keeps the parts: commit, commit returned until the worker completed (wall clock), completed until visible.
     */
    private static long hop(KafkaFixture.WorkProducer producer, ResultCollector results, WorkRequest request) {
        long start = System.nanoTime();
        producer.commit(request);
        long committed = System.nanoTime();
        long committedWallMicros = java.time.Instant.now().toEpochMilli() * 1000;
        long deadline = start + DEADLINE.toNanos();
        while (results.received(request.getWorkId()).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no result for " + request.getWorkId() + " within " + DEADLINE);
            }
            results.pollOnce(Duration.ofMillis(100));
        }
        var received = results.received(request.getWorkId()).getFirst();
        long seenWallMicros =
                (java.time.Instant.now().toEpochMilli() * 1000) - (System.nanoTime() - received.seenAtNanos()) / 1000;
        long completedWallMicros = received.result().getCompletedAt().toEpochMilli() * 1000;
        PARTS.add(new long[] {
            (committed - start) / 1000, completedWallMicros - committedWallMicros, seenWallMicros - completedWallMicros
        });
        return (received.seenAtNanos() - start) / 1_000;
    }

    private static void reportParts(String what) {
        for (int part = 0; part < 3; part++) {
            int p = part;
            report(
                    what + " / " + new String[] {"commit", "to worker done", "to visible"}[part],
                    PARTS.stream().mapToLong(a -> a[p]).toArray());
        }
        PARTS.clear();
    }

    /** Commits {@code count} requests in one transaction; reports per-item latency and the time for all. */
    private static void burst(
            KafkaFixture.WorkProducer producer, ResultCollector results, String pool, String tool, int count) {
        List<WorkRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(KafkaFixture.tool(pool, KafkaFixture.id("burst"), tool, "{}", ToolSemantics.IDEMPOTENT));
        }
        long start = System.nanoTime();
        producer.commit(requests.toArray(WorkRequest[]::new));
        long deadline = start + DEADLINE.toNanos();
        while (!requests.stream().allMatch(r -> !results.received(r.getWorkId()).isEmpty())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not all " + count + " results within " + DEADLINE);
            }
            results.pollOnce(Duration.ofMillis(100));
        }
        long[] latencies = requests.stream()
                .mapToLong(r -> (results.received(r.getWorkId()).getFirst().seenAtNanos() - start) / 1_000)
                .toArray();
        long allMs = Arrays.stream(latencies).max().orElse(0) / 1_000;
        report(
                count + " x " + tool + " committed at once (all done in " + allMs + " ms, "
                        + (count * 1000L / Math.max(1, allMs)) + " items/s)",
                latencies);
    }

    private static void report(String what, long[] micros) {
        long[] sorted = micros.clone();
        Arrays.sort(sorted);
        log.info(
                "MEASURE {}: n={} p50={} ms p90={} ms p99={} ms max={} ms",
                what,
                sorted.length,
                ms(percentile(sorted, 50)),
                ms(percentile(sorted, 90)),
                ms(percentile(sorted, 99)),
                ms(sorted[sorted.length - 1]));
    }

    private static long percentile(long[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static String ms(long micros) {
        return String.format("%.1f", micros / 1000.0);
    }
}
