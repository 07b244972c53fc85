package io.agentlog.schemas;

import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.Usage;
import java.util.LinkedHashMap;
import java.util.Map;

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
        long cached = cachedInput(usage);
        double cachedPrice = price.getCachedInputPerMillion() != null
                ? price.getCachedInputPerMillion()
                : price.getInputPerMillion();
        double micros = (usage.getInputTokens() - cached) * price.getInputPerMillion()
                + cached * cachedPrice
                + usage.getOutputTokens() * price.getOutputPerMillion();
        return Usage.newBuilder(usage).setCostMicros(Math.round(micros)).build();
    }

    /**
     * The usage's tokens the way they are priced, which add up to all its tokens: {@code input} (input tokens not
     * served from the provider's prompt cache), {@code cached_input} and {@code output}.
     */
    public static Map<String, Long> tokensByType(Usage usage) {
        long cached = cachedInput(usage);
        Map<String, Long> tokens = new LinkedHashMap<>();
        tokens.put("input", usage.getInputTokens() - cached);
        tokens.put("cached_input", cached);
        tokens.put("output", usage.getOutputTokens());
        return tokens;
    }

    /** Of the input tokens, those served from the prompt cache (never more than the input tokens). */
    private static long cachedInput(Usage usage) {
        return Math.min(Math.max(usage.getCachedInputTokens(), 0), usage.getInputTokens());
    }
}
