package io.agentlog.engine.session;

import io.agentlog.schemas.ModelCosts;
import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.Usage;
import java.util.Locale;

/**
 * What a model turn cost: the worker's price for the model (its {@code AGENTLOG_MODEL_PRICES}), else the pinned
 * definition's {@code model.price} ({@link ModelCosts}). The engine prices each turn as it journals it ({@code ModelResponded.usage}), so
 * the figure is in the journal, replays to the same total, and cannot change when a definition's prices change later
 * (definitions are immutable, and a session stays pinned to its version).
 */
final class Pricing {

    private Pricing() {}

    /**
     * The usage with its cost at the definition's prices; as it was when there is no price, or the worker already
     * priced it (its price table wins: it is what the operator pays).
     */
    static Usage priced(Usage usage, ModelPrice price) {
        return ModelCosts.priced(usage, price);
    }

    /** Why a session ended over its cost budget, with the figures. */
    static String costSpent(Usage usage, long maxCostMicros) {
        return "cost budget spent: " + usd(usage.getCostMicros()) + " (" + usage.getCostMicros()
                + " micro-dollars) used, the limit is " + usd(maxCostMicros) + " (" + maxCostMicros + "); "
                + usage.getInputTokens() + " input tokens (" + usage.getCachedInputTokens() + " cached), "
                + usage.getOutputTokens() + " output tokens";
    }

    /** Why a session ended over its agent's daily cost budget, with the figures. */
    static String agentDaySpent(String agent, String day, long spentMicros, long maxMicros) {
        return "daily cost budget of agent " + agent + " spent: its sessions used " + usd(spentMicros) + " ("
                + spentMicros + " micro-dollars) on " + day + " (UTC), the limit is " + usd(maxMicros) + " ("
                + maxMicros + ") a day";
    }

    private static String usd(long micros) {
        return String.format(Locale.ROOT, "$%.6f", micros / 1e6);
    }
}
