package io.agentlog.engine.internal;

import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.SessionStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code agentlog_sessions{status}}: the sessions of this instance's partitions by status, counted from the local
 * {@code sessions} stores when scraped. One count serves every status gauge and is kept for {@link #MAX_AGE}, so a
 * scrape reads the stores at most that often however many sessions they hold. A partition being restored or moved
 * is left out of the count.
 */
public final class SessionStatusGauges {

    private static final Logger log = LoggerFactory.getLogger(SessionStatusGauges.class);

    public static final String NAME = "agentlog.sessions";
    static final Duration MAX_AGE = Duration.ofSeconds(5);

    private final LocalSessionStores stores;
    private final LongSupplier nanoTime;
    private Map<SessionStatus, Long> counts = new EnumMap<>(SessionStatus.class);
    private long countedAt;
    private boolean counted;

    SessionStatusGauges(LocalSessionStores stores, LongSupplier nanoTime) {
        this.stores = stores;
        this.nanoTime = nanoTime;
    }

    /** Registers a gauge per status that counts the sessions of {@code stores}. */
    public static void register(MeterRegistry registry, LocalSessionStores stores) {
        SessionStatusGauges gauges = new SessionStatusGauges(stores, System::nanoTime);
        for (SessionStatus status : SessionStatus.values()) {
            Gauge.builder(NAME, gauges, g -> g.count(status))
                    .description("Sessions in this instance's partitions, by status")
                    .tag("status", status.name())
                    .strongReference(true) // nothing else holds the gauges
                    .register(registry);
        }
    }

    synchronized long count(SessionStatus status) {
        long now = nanoTime.getAsLong();
        if (!counted || now - countedAt >= MAX_AGE.toNanos()) {
            counts = countAll();
            countedAt = now;
            counted = true;
        }
        return counts.getOrDefault(status, 0L);
    }

    private Map<SessionStatus, Long> countAll() {
        Map<SessionStatus, Long> all = new EnumMap<>(SessionStatus.class);
        Set<Integer> partitions;
        try {
            partitions = stores.partitions();
        } catch (InvalidStateStoreException | IllegalStateException e) {
            log.debug("No sessions counted: the engine is not running ({})", e.getMessage());
            return all;
        }
        for (int partition : partitions) {
            try (KeyValueIterator<String, SessionState> it =
                    stores.store(partition).all()) {
                while (it.hasNext()) {
                    all.merge(it.next().value.getStatus(), 1L, Long::sum);
                }
            } catch (InvalidStateStoreException e) {
                log.debug("Sessions of partition {} not counted: {}", partition, e.getMessage());
            }
        }
        return all;
    }
}
