package io.agentlog.worker.sdk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;
import java.util.Optional;

/**
 * A custom tool's JSON Schema, compiled once ({@link #compile}), and the check of a call's arguments against it
 * ({@link #check}): the arguments the handler gets, or the messages the model sees instead. Validation is
 * networknt's json-schema-validator; a schema without {@code $schema} is read as draft 2020-12. Thread-safe.
 */
final class ArgumentSchema {

    /** The dialect of a schema that does not name one with {@code $schema}. */
    static final SpecificationVersion DEFAULT_DIALECT = SpecificationVersion.DRAFT_2020_12;
    /** At most this many validation messages are shown to the model; the rest are counted. */
    static final int MAX_MESSAGES = 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(DEFAULT_DIALECT);

    private final String toolName;
    private final Schema schema;

    private ArgumentSchema(String toolName, Schema schema) {
        this.toolName = toolName;
        this.schema = schema;
    }

    /**
     * Compiles {@code schemaText}, a JSON Schema, after checking it against its dialect's meta-schema.
     *
     * @throws IllegalArgumentException naming the tool and saying what is wrong, when the text is not JSON, names
     *     an unknown dialect, or is not a valid schema
     */
    static ArgumentSchema compile(String toolName, String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw new IllegalArgumentException("the JSON Schema of tool '" + toolName
                    + "' is empty; give its parameters' schema, e.g. " + "{\"type\": \"object\", \"properties\": {}}");
        }
        JsonNode node;
        try {
            node = JSON.readTree(schemaText);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the JSON Schema of tool '" + toolName + "' is not valid JSON ("
                    + e.getOriginalMessage() + "): " + abbreviate(schemaText));
        }
        if (!node.isObject() && !node.isBoolean()) {
            throw new IllegalArgumentException("the JSON Schema of tool '" + toolName
                    + "' must be a JSON object, but was: " + abbreviate(schemaText));
        }
        SpecificationVersion dialect = dialect(toolName, node);
        List<Error> problems;
        Schema compiled;
        try {
            problems = REGISTRY.getSchema(SchemaLocation.of(dialect.getDialectId()))
                    .validate(schemaText, InputFormat.JSON);
            compiled = REGISTRY.getSchema(schemaText, InputFormat.JSON);
            compiled.initializeValidators();
        } catch (SchemaException e) {
            throw new IllegalArgumentException(
                    "the JSON Schema of tool '" + toolName + "' cannot be compiled: " + e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the JSON Schema of tool '" + toolName + "' is not a valid "
                    + dialect.getDialectId() + " schema: " + describe(problems));
        }
        return new ArgumentSchema(toolName, compiled);
    }

    /** The outcome of checking one call's arguments. */
    sealed interface Check {
        /** The arguments fit the schema. */
        record Valid(JsonNode arguments) implements Check {}

        /** They do not (or are not JSON): {@code message} tells the model what to fix. */
        record Invalid(String message) implements Check {}
    }

    /** Checks a call's arguments (JSON object text; blank counts as {@code {}}) against the schema. */
    Check check(String argumentsJson) {
        String text = argumentsJson == null || argumentsJson.isBlank() ? "{}" : argumentsJson;
        JsonNode arguments;
        try {
            arguments = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return new Check.Invalid("the arguments of " + toolName + " are not valid JSON (" + e.getOriginalMessage()
                    + "); pass a JSON object that fits the tool's parameters schema");
        }
        List<Error> problems = schema.validate(arguments.toString(), InputFormat.JSON);
        if (!problems.isEmpty()) {
            return new Check.Invalid("the arguments of " + toolName + " do not fit its parameters schema: "
                    + describe(problems) + ". Call it again with arguments that fit the schema.");
        }
        return new Check.Valid(arguments);
    }

    private static SpecificationVersion dialect(String toolName, JsonNode schema) {
        JsonNode named = schema.path("$schema");
        if (named.isMissingNode()) {
            return DEFAULT_DIALECT;
        }
        Optional<SpecificationVersion> known =
                named.isTextual() ? SpecificationVersion.fromDialectId(named.asText()) : Optional.empty();
        return known.orElseThrow(() -> new IllegalArgumentException("the JSON Schema of tool '" + toolName
                + "' names the dialect " + named + ", which is not one of "
                + List.of(SpecificationVersion.values()).stream()
                        .map(SpecificationVersion::getDialectId)
                        .toList()));
    }

    /** The messages, each with where in the document it applies ("/items/0: ..."), joined by "; ". */
    private static String describe(List<Error> problems) {
        StringBuilder text = new StringBuilder();
        problems.stream().limit(MAX_MESSAGES).forEach(problem -> {
            if (!text.isEmpty()) {
                text.append("; ");
            }
            String where = problem.getInstanceLocation() == null
                    ? ""
                    : problem.getInstanceLocation().toString();
            text.append(where.isEmpty() ? problem.getMessage() : where + ": " + problem.getMessage());
        });
        if (problems.size() > MAX_MESSAGES) {
            text.append("; and ").append(problems.size() - MAX_MESSAGES).append(" more");
        }
        return text.toString();
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
