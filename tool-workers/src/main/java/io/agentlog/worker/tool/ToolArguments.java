package io.agentlog.worker.tool;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The arguments of a tool call: a JSON object, read with checks whose messages tell the model what to fix.
 * Every method throws {@link InvalidToolArgumentsException}.
 */
public final class ToolArguments {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String toolName;
    private final JsonNode object;

    private ToolArguments(String toolName, JsonNode object) {
        this.toolName = toolName;
        this.object = object;
    }

    public static ToolArguments parse(String toolName, String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json == null || json.isBlank() ? "{}" : json);
        } catch (JsonProcessingException e) {
            throw new InvalidToolArgumentsException("the arguments of " + toolName + " are not valid JSON ("
                    + e.getOriginalMessage() + "); pass a JSON object, e.g. {\"url\": \"https://example.org/\"}");
        }
        if (node == null || !node.isObject()) {
            throw new InvalidToolArgumentsException(
                    "the arguments of " + toolName + " must be a JSON object, but were: " + json);
        }
        return new ToolArguments(toolName, node);
    }

    /** A required string argument. */
    public String requireString(String name) {
        return optionalString(name)
                .orElseThrow(() -> new InvalidToolArgumentsException(
                        toolName + " needs the string argument '" + name + "', but it is missing"));
    }

    public Optional<String> optionalString(String name) {
        JsonNode value = object.get(name);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new InvalidToolArgumentsException(
                    toolName + " argument '" + name + "' must be a string, but was " + value);
        }
        return Optional.of(value.asText());
    }

    /** An optional whole-number argument of at least 1. */
    public Optional<Integer> optionalPositiveInt(String name) {
        JsonNode value = object.get(name);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1) {
            throw new InvalidToolArgumentsException(
                    toolName + " argument '" + name + "' must be a whole number of at least 1, but was " + value);
        }
        return Optional.of(value.asInt());
    }

    /** Rejects arguments the tool does not know (its schema has {@code additionalProperties: false}). */
    public ToolArguments allowOnly(Set<String> names) {
        List<String> unknown = new ArrayList<>();
        object.fieldNames().forEachRemaining(name -> {
            if (!names.contains(name)) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            throw new InvalidToolArgumentsException(toolName + " does not take the argument(s) " + unknown
                    + "; it takes only " + names.stream().sorted().toList());
        }
        return this;
    }
}
