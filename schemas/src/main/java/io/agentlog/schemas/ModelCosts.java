package io.agentlog.schemas;

import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.Usage;

/**
 * What a model call cost: its token counts times a price in US dollars per million tokens (so tokens × price is
 * micro-dollars), cached input tokens at their own price where one is given. One formula for the worker's price table
 * and a definition's {@code model.price}.
 */
public final class ModelCosts {

    private ModelCosts() {}

    /** The usage with its cost; as it was when there is no price or it already has a cost. */
    public static Usage priced(Usage usage, ModelPrice price) {
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
}
