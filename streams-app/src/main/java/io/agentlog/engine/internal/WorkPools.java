package io.agentlog.engine.internal;

import io.agentlog.schemas.Topics;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker pools that exist, i.e. whose {@code agentlog.work.<pool>} topic exists, refreshed in
 * the background so the processor never blocks on the broker. A tool whose pool has no topic
 * fails its call with a clear message instead of the engine failing to produce.
 */
public class WorkPools implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkPools.class);
    private static final String PREFIX = "agentlog.work.";

    private final Admin admin;
    private final ScheduledExecutorService refresher;
    private volatile Set<String> pools;

    private WorkPools(Admin admin, Set<String> initial) {
        this.admin = admin;
        this.pools = initial;
        this.refresher = admin == null
                ? null
                : Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                        .name("agentlog-pools-refresh")
                        .daemon()
                        .factory());
    }

    /** Pools read from the cluster now and every {@code refresh}. */
    public static WorkPools watching(String bootstrapServers, Duration refresh) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        WorkPools pools = new WorkPools(Admin.create(props), Set.of());
        pools.refresh();
        pools.refresher.scheduleWithFixedDelay(
                pools::refresh, refresh.toMillis(), refresh.toMillis(), TimeUnit.MILLISECONDS);
        return pools;
    }

    /** A fixed set of pools (tests). */
    public static WorkPools fixed(Set<String> pools) {
        return new WorkPools(null, Set.copyOf(pools));
    }

    public boolean exists(String pool) {
        return pools.contains(pool);
    }

    public Set<String> names() {
        return pools;
    }

    private void refresh() {
        try {
            Set<String> names = admin.listTopics().names().get(10, TimeUnit.SECONDS);
            Set<String> found = names.stream()
                    .filter(n -> n.startsWith(PREFIX) && !n.equals(Topics.WORK_RESULTS.name()))
                    .map(n -> n.substring(PREFIX.length()))
                    .collect(Collectors.toUnmodifiableSet());
            if (!found.equals(pools)) {
                log.info("Worker pools with a work topic: {}", found);
            }
            pools = found;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("Cannot list work topics (keeping {}): {}", pools, e.toString());
        }
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
            admin.close(Duration.ofSeconds(5));
        }
    }
}
