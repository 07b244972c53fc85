package io.agentlog.engine.internal;

import io.agentlog.engine.session.Spending;
import io.agentlog.schemas.Topics;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** {@link Spending} read from the global {@code agent-spend} store. */
final class SpendLedger implements Spending {

    private final ReadOnlyKeyValueStore<String, Long> store;

    SpendLedger(ReadOnlyKeyValueStore<String, Long> store) {
        this.store = store;
    }

    @Override
    public long spentOn(String agent, String day) {
        Long sum = store.get(Topics.spendKey(agent, day));
        return sum == null ? 0 : sum;
    }
}
