package io.agentlog.engine.internal;

import io.agentlog.engine.EngineTopology;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.SpendRecorded;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sums {@code agentlog.spend} into the global {@code agent-spend} store: micro-dollars per {@code agent/day}. Kafka
 * Streams restores a global store by running its records through this processor again (KAFKA-7663), so the sums
 * survive restarts; records are written in the engines' transactions and read committed, so each counts once.
 */
public final class SpendUpdater implements Processor<String, byte[], Void, Void> {

    private static final Logger log = LoggerFactory.getLogger(SpendUpdater.class);

    private KeyValueStore<String, Long> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(EngineTopology.SPEND_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        SpendRecorded spend;
        try {
            spend = Topics.SPEND.valueSerde().deserializer().deserialize(Topics.SPEND.name(), record.value());
        } catch (UndecodableRecordException e) {
            log.warn("Ignoring an undecodable record on {}: {}", Topics.SPEND.name(), e.getMessage());
            return;
        }
        if (spend == null || spend.getCostMicros() <= 0) {
            return;
        }
        String key = Topics.spendKey(spend.getAgent(), spend.getDay());
        Long sum = store.get(key);
        store.put(key, (sum == null ? 0 : sum) + spend.getCostMicros());
    }
}
