package io.agentlog.engine.internal;

import io.agentlog.engine.session.Pools;
import io.agentlog.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker pools that exist (whose {@code agentlog.work.<pool>} topic exists) and the largest record each work
 * topic accepts, refreshed in the background so the processor never blocks on the broker. The engine starts only
 * after a first listing succeeded, and a failed refresh keeps what is known: a transient admin error never makes a
 * pool look missing, which would fail sessions.
 */
public class WorkPools implements Pools, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkPools.class);
    private static final String PREFIX = "agentlog.work.";
    private static final Duration FIRST_LISTING_RETRY = Duration.ofSeconds(1);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);

    private final Admin admin;
    private final ScheduledExecutorService refresher;
    private volatile Map<String, Integer> pools;

    private WorkPools(Admin admin, Map<String, Integer> initial) {
        this.admin = admin;
        this.pools = Map.copyOf(initial);
        this.refresher = admin == null
                ? null
                : Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                        .name("agentlog-pools-refresh")
                        .daemon()
                        .factory());
    }

    /**
     * Pools read from the cluster, first within {@code startTimeout} (retried every second; the engine does not
     * start without them), then every {@code refresh}.
     */
    public static WorkPools watching(Admin admin, Duration refresh, Duration startTimeout) throws TimeoutException {
        WorkPools pools = new WorkPools(admin, Map.of());
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Exception last = null;
        while (true) {
            try {
                pools.pools = pools.list();
                break;
            } catch (Exception e) {
                last = e;
                log.warn("Cannot list the work topics yet ({}); retrying", e.toString());
            }
            if (System.nanoTime() - deadline > 0) {
                pools.close();
                throw new TimeoutException(
                        "cannot list the work topics within " + startTimeout.toSeconds() + " s: " + last);
            }
            try {
                Thread.sleep(FIRST_LISTING_RETRY.toMillis()); // a poll loop with a deadline: the admin call has none
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pools.close();
                throw new TimeoutException("interrupted while listing the work topics");
            }
        }
        log.info("Worker pools with a work topic: {}", pools.pools.keySet());
        pools.refresher.scheduleWithFixedDelay(
                pools::refresh, refresh.toMillis(), refresh.toMillis(), TimeUnit.MILLISECONDS);
        return pools;
    }

    /** A fixed set of pools whose topics take the engine's largest work record (tests). */
    public static WorkPools fixed(Set<String> pools) {
        return fixed(pools.stream().collect(Collectors.toMap(p -> p, p -> Topics.MAX_WORK_RECORD_BYTES)));
    }

    /** A fixed set of pools with each work topic's record limit (tests). */
    public static WorkPools fixed(Map<String, Integer> maxRecordBytes) {
        return new WorkPools(null, maxRecordBytes);
    }

    @Override
    public boolean exists(String pool) {
        return pools.containsKey(pool);
    }

    @Override
    public int maxRecordBytes(String pool) {
        return Math.min(pools.getOrDefault(pool, Topics.MAX_WORK_RECORD_BYTES), Topics.MAX_WORK_RECORD_BYTES);
    }

    public Set<String> names() {
        return pools.keySet();
    }

    private void refresh() {
        try {
            Map<String, Integer> found = list();
            if (!found.keySet().equals(pools.keySet())) {
                log.info("Worker pools with a work topic: {}", found.keySet());
            }
            pools = found;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("Cannot list work topics (keeping {}): {}", pools.keySet(), e.toString());
        }
    }

    /** Pool name to its work topic's {@code max.message.bytes}. */
    private Map<String, Integer> list() throws Exception {
        Set<String> names = admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        List<String> topics = names.stream()
                .filter(n -> n.startsWith(PREFIX) && !n.equals(Topics.WORK_RESULTS.name()))
                .sorted()
                .toList();
        if (topics.isEmpty()) {
            return Map.of();
        }
        Map<ConfigResource, Config> configs = admin.describeConfigs(topics.stream()
                        .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t))
                        .toList())
                .all()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<String, Integer> out = new HashMap<>();
        configs.forEach((resource, config) -> {
            var max = config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            int bytes = max == null || max.value() == null
                    ? Topics.BROKER_DEFAULT_MAX_MESSAGE_BYTES
                    : Integer.parseInt(max.value());
            out.put(resource.name().substring(PREFIX.length()), bytes);
        });
        return Map.copyOf(out);
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }
}
