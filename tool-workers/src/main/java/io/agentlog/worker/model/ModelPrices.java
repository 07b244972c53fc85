package io.agentlog.worker.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.agentlog.schemas.avro.ModelPrice;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The worker's price table: US dollars per million tokens for each model name it calls, which turns a call's usage
 * into its cost before the result leaves the worker. It wins over a definition's {@code model.price}: it is what the
 * operator pays. A JSON object ({@code AGENTLOG_MODEL_PRICES}, or the file {@code AGENTLOG_MODEL_PRICES_FILE}):
 *
 * <pre>
 * {"gpt-4o-mini": {"inputPerMillion": 0.15, "outputPerMillion": 0.60, "cachedInputPerMillion": 0.075}}
 * </pre>
 */
public record ModelPrices(Map<String, ModelPrice> byModel) {

    private static final Set<String> FIELDS = Set.of("inputPerMillion", "outputPerMillion", "cachedInputPerMillion");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    public static final ModelPrices NONE = new ModelPrices(Map.of());

    public ModelPrices {
        byModel = Map.copyOf(byModel);
    }

    /** The price of a model by its name, if the table has it. */
    public Optional<ModelPrice> of(String model) {
        return Optional.ofNullable(model == null ? null : byModel.get(model));
    }

    /** Parses the table; {@code where} names the setting in error messages. */
    public static ModelPrices parse(String text, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(where + " must be a JSON object of model name to prices, e.g."
                    + " {\"gpt-4o-mini\": {\"inputPerMillion\": 0.15, \"outputPerMillion\": 0.6}}");
        }
        Map<String, ModelPrice> prices = new LinkedHashMap<>();
        root.properties()
                .forEach(entry -> prices.put(entry.getKey(), price(entry.getValue(), where + " " + entry.getKey())));
        return new ModelPrices(prices);
    }

    private static ModelPrice price(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be an object with inputPerMillion and outputPerMillion");
        }
        node.fieldNames().forEachRemaining(field -> {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(
                        "unknown field '" + field + "' in " + where + "; known fields are " + FIELDS);
            }
        });
        return ModelPrice.newBuilder()
                .setInputPerMillion(dollars(node, "inputPerMillion", where, true))
                .setOutputPerMillion(dollars(node, "outputPerMillion", where, true))
                .setCachedInputPerMillion(
                        node.has("cachedInputPerMillion") ? dollars(node, "cachedInputPerMillion", where, false) : null)
                .build();
    }

    private static double dollars(JsonNode node, String field, String where, boolean required) {
        JsonNode value = node.get(field);
        if (value == null && required) {
            throw new IllegalArgumentException(where + "." + field + " is missing");
        }
        if (value == null || !value.isNumber() || value.asDouble() < 0 || !Double.isFinite(value.asDouble())) {
            throw new IllegalArgumentException(where + "." + field
                    + " must be a number of US dollars per million tokens, 0 or more, but was " + value);
        }
        return value.asDouble();
    }
}
