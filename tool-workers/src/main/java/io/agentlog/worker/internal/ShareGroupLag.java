package io.agentlog.worker.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A share group's lag, the records of its topic it has not acknowledged yet, summed over the partitions
 * ({@code Admin#listShareGroupOffsets}; a share group has no lag per member). Asked when a scrape reads it, at most
 * every {@link #MAX_AGE}; {@code NaN} while the broker reports none or does not answer in {@link #TIMEOUT} (or the
 * worker's admin client is closed).
 */
public final class ShareGroupLag {

    private static final Logger log = LoggerFactory.getLogger(ShareGroupLag.class);
    static final Duration MAX_AGE = Duration.ofSeconds(5);
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Admin admin;
    private final String group;
    private final LongSupplier nanoTime;
    private double records = Double.NaN;
    private long askedAt;
    private boolean asked;

    ShareGroupLag(Admin admin, String group, LongSupplier nanoTime) {
        this.admin = admin;
        this.group = group;
        this.nanoTime = nanoTime;
    }

    public static ShareGroupLag of(Admin admin, String group) {
        return new ShareGroupLag(admin, group, System::nanoTime);
    }

    synchronized double records() {
        long now = nanoTime.getAsLong();
        if (!asked || now - askedAt >= MAX_AGE.toNanos()) {
            records = ask();
            askedAt = now;
            asked = true;
        }
        return records;
    }

    private double ask() {
        try {
            Map<TopicPartition, SharePartitionOffsetInfo> partitions = admin.listShareGroupOffsets(
                            Map.of(group, new ListShareGroupOffsetsSpec()))
                    .partitionsToOffsetInfo(group)
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long sum = 0;
            boolean known = false;
            for (SharePartitionOffsetInfo info : partitions.values()) {
                if (info != null && info.lag().isPresent()) {
                    sum += info.lag().get();
                    known = true;
                }
            }
            return known ? sum : Double.NaN;
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            log.debug("Lag of share group {} unknown: {}", group, e.toString());
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }
}
