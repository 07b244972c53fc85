package io.agentlog.engine.session;

import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.Usage;
import java.util.Locale;

/**
 * What a model turn cost: its token counts times the pinned definition's prices (US dollars per million tokens, so
 * tokens × price is micro-dollars). The engine prices each turn as it journals it ({@code ModelResponded.usage}), so
 * the figure is in the journal, replays to the same total, and cannot change when a definition's prices change later
 * (definitions are immutable, and a session stays pinned to its version).
 */
final class Pricing {

    private Pricing() {}

    /** The usage with its cost; as it was when there is no price, or the worker already priced it. */
    static Usage priced(Usage usage, ModelPrice price) {
        if (usage == null || price == null || usage.getCostMicros() > 0) {
            return usage;
        }
        long cached = Math.min(Math.max(usage.getCachedInputTokens(), 0), usage.getInputTokens());
        double cachedPrice = price.getCachedInputPerMillion() != null
                ? price.getCachedInputPerMillion()
                : price.getInputPerMillion();
        double micros = (usage.getInputTokens() - cached) * price.getInputPerMillion()
                + cached * cachedPrice
                + usage.getOutputTokens() * price.getOutputPerMillion();
        return Usage.newBuilder(usage).setCostMicros(Math.round(micros)).build();
    }

    /** Why a session ended over its cost budget, with the figures. */
    static String costSpent(Usage usage, long maxCostMicros) {
        return "cost budget spent: " + usd(usage.getCostMicros()) + " (" + usage.getCostMicros()
                + " micro-dollars) used, the limit is " + usd(maxCostMicros) + " (" + maxCostMicros + "); "
                + usage.getInputTokens() + " input tokens (" + usage.getCachedInputTokens() + " cached), "
                + usage.getOutputTokens() + " output tokens";
    }

    private static String usd(long micros) {
        return String.format(Locale.ROOT, "$%.6f", micros / 1e6);
    }
}
