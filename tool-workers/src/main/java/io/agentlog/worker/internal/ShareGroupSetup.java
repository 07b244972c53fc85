package io.agentlog.worker.internal;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the group configs a worker pool's share group needs, through Admin {@code incrementalAlterConfigs} on
 * {@link ConfigResource.Type#GROUP} (they are group settings, not consumer settings):
 * <ul>
 *   <li>{@code share.auto.offset.reset=earliest}: a new group starts at the log's start, so work produced before the
 *       first worker joined is not skipped;
 *   <li>{@code share.isolation.level=read_committed}: the engine produces work in transactions, and a worker must
 *       never act on a request from an aborted one;
 *   <li>{@code share.delivery.count.limit} = the worker's {@code AGENTLOG_MAX_DELIVERIES}: the worker answers and
 *       dead-letters an item on its last allowed delivery, which it only sees if the broker's limit is the same
 *       (a lower broker limit archives the record first, and the session would wait for its timeout).
 * </ul>
 * Setting them again is harmless, so every worker does it at start.
 */
public final class ShareGroupSetup {

    public static final String AUTO_OFFSET_RESET = "share.auto.offset.reset";
    public static final String ISOLATION_LEVEL = "share.isolation.level";
    public static final String DELIVERY_COUNT_LIMIT = "share.delivery.count.limit";

    static final Map<String, String> GROUP_CONFIGS = orderedConfigs();

    private static final Logger log = LoggerFactory.getLogger(ShareGroupSetup.class);
    private static final long TIMEOUT_SECONDS = 30;

    private ShareGroupSetup() {}

    public static void configure(Admin admin, Collection<String> groups, int maxDeliveries) {
        Map<String, String> configs = new LinkedHashMap<>(GROUP_CONFIGS);
        configs.put(DELIVERY_COUNT_LIMIT, String.valueOf(maxDeliveries));
        Map<ConfigResource, Collection<AlterConfigOp>> ops = new LinkedHashMap<>();
        List<AlterConfigOp> settings = configs.entrySet().stream()
                .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET))
                .toList();
        for (String group : groups) {
            ops.put(new ConfigResource(ConfigResource.Type.GROUP, group), settings);
        }
        try {
            admin.incrementalAlterConfigs(ops).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            log.info("Share groups {} set to {}", groups, configs);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "cannot set the configs " + configs + " of share groups " + groups
                            + ": " + e.getCause().getMessage()
                            + " (does the broker have share groups enabled, and may this"
                            + " client alter group configs?)",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "cannot set the configs of share groups " + groups + ": no answer from the" + " brokers within "
                            + TIMEOUT_SECONDS + " s",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting the configs of share groups " + groups, e);
        }
    }

    /** The subset of {@code topics} that does not exist, to warn about. */
    public static Set<String> missingTopics(Admin admin, Collection<String> topics) {
        try {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return topics.stream().filter(t -> !existing.contains(t)).collect(java.util.stream.Collectors.toSet());
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot list topics: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing topics", e);
        }
    }

    private static Map<String, String> orderedConfigs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put(AUTO_OFFSET_RESET, "earliest");
        configs.put(ISOLATION_LEVEL, "read_committed");
        return java.util.Collections.unmodifiableMap(configs);
    }
}
