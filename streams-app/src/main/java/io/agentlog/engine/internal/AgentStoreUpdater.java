package io.agentlog.engine.internal;

import io.agentlog.engine.EngineTopology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Copies the agents topic into the global {@code agents} store as raw bytes: a definition is
 * decoded when a session pins it, so an undecodable record there cannot stop the global thread.
 */
public final class AgentStoreUpdater implements Processor<String, byte[], Void, Void> {

    private final AgentsCatchUp catchUp;
    private ProcessorContext<Void, Void> context;
    private KeyValueStore<String, byte[]> store;

    public AgentStoreUpdater(AgentsCatchUp catchUp) {
        this.catchUp = catchUp;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        store = context.getStateStore(EngineTopology.AGENTS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() != null) {
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
        context.recordMetadata().ifPresent(metadata -> catchUp.processed(metadata.partition(), metadata.offset()));
    }
}
