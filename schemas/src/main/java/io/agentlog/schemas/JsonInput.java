package io.agentlog.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.TaskSubmitted;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The plain-JSON shape of the input records, validated as strictly as the Avro one. A task:
 *
 * <pre>{"agent": "hello", "input": "Say hi", "agentVersion": 1, "sessionId": "s-1",
 *  "idempotencyKey": "order-42", "budget": {"maxSteps": 5}, "metadata": {"team": "x"}}</pre>
 *
 * and a control command: <code>{"type": "CANCEL", "sessionId": "s-1", "message": "why"}</code>.
 * Only {@code agent} and {@code input} (task) and {@code type} (control) are required; a missing
 * session id is taken from the record key.
 */
public final class JsonInput {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final Set<String> TASK_FIELDS = Set.of(
            "sessionId",
            "agent",
            "agentVersion",
            "input",
            "idempotencyKey",
            "parentSessionId",
            "budget",
            "metadata",
            "submittedAt");
    private static final Set<String> BUDGET_FIELDS = Set.of("maxSteps", "maxTokens", "maxWallTimeMs", "maxCostMicros");
    private static final Set<String> CONTROL_FIELDS =
            Set.of("sessionId", "type", "toolCallId", "message", "arguments", "issuedAt");

    private JsonInput() {}

    public static TaskSubmitted task(byte[] bytes) {
        ObjectNode node = object(bytes, "task");
        onlyKnown(node, TASK_FIELDS, "task");
        return TaskSubmitted.newBuilder()
                .setSessionId(
                        optionalText(node, "sessionId", "task") == null ? "" : optionalText(node, "sessionId", "task"))
                .setAgent(requiredText(node, "agent", "task"))
                .setAgentVersion(optionalInt(node, "agentVersion", "task"))
                .setInput(requiredText(node, "input", "task"))
                .setIdempotencyKey(optionalText(node, "idempotencyKey", "task"))
                .setParentSessionId(optionalText(node, "parentSessionId", "task"))
                .setBudget(budget(node.get("budget")))
                .setMetadata(metadata(node.get("metadata")))
                .setSubmittedAt(java.time.Instant.ofEpochMilli(
                        optionalLong(node, "submittedAt", "task", System.currentTimeMillis())))
                .build();
    }

    public static ControlCommand control(byte[] bytes) {
        ObjectNode node = object(bytes, "control command");
        onlyKnown(node, CONTROL_FIELDS, "control command");
        String type = requiredText(node, "type", "control command");
        ControlType controlType;
        try {
            controlType = ControlType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UndecodableRecordException("control command field 'type' must be one of "
                    + Arrays.toString(ControlType.values()) + ", but was '" + type + "'");
        }
        String sessionId = optionalText(node, "sessionId", "control command");
        return ControlCommand.newBuilder()
                .setSessionId(sessionId == null ? "" : sessionId)
                .setType(controlType)
                .setToolCallId(optionalText(node, "toolCallId", "control command"))
                .setMessage(optionalText(node, "message", "control command"))
                .setArguments(arguments(node))
                .setIssuedAt(java.time.Instant.ofEpochMilli(
                        optionalLong(node, "issuedAt", "control command", System.currentTimeMillis())))
                .build();
    }

    /** APPROVE's edited arguments: a JSON object, given as one or as a string holding one. */
    private static String arguments(ObjectNode node) {
        JsonNode value = node.get("arguments");
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isObject()) {
            return value.toString();
        }
        if (value.isTextual()) {
            try {
                if (MAPPER.readTree(value.asText()) instanceof ObjectNode object) {
                    return object.toString();
                }
            } catch (JsonProcessingException e) {
                // reported below
            }
        }
        throw new UndecodableRecordException(
                "control command field 'arguments' must be a JSON object (or a string holding one), but was " + value);
    }

    private static ObjectNode object(byte[] bytes, String what) {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new UndecodableRecordException("invalid JSON " + what + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UndecodableRecordException("unreadable JSON " + what + ": " + e.getMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new UndecodableRecordException("a JSON " + what + " must be an object");
        }
        return object;
    }

    private static void onlyKnown(ObjectNode node, Set<String> known, String what) {
        var unknown = new java.util.TreeSet<String>();
        node.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            throw new UndecodableRecordException("unknown " + what + " field(s) " + unknown + "; known fields: "
                    + known.stream().sorted().collect(Collectors.joining(", ")));
        }
    }

    private static String requiredText(ObjectNode node, String field, String what) {
        String value = optionalText(node, field, what);
        if (value == null || value.isBlank()) {
            throw new UndecodableRecordException(what + " field '" + field + "' is required (a non-empty string)");
        }
        return value;
    }

    private static String optionalText(ObjectNode node, String field, String what) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new UndecodableRecordException(what + " field '" + field + "' must be a string, but was " + value);
        }
        return value.textValue();
    }

    private static Integer optionalInt(ObjectNode node, String field, String what) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new UndecodableRecordException(what + " field '" + field + "' must be an integer, but was " + value);
        }
        return value.intValue();
    }

    private static long optionalLong(ObjectNode node, String field, String what, long fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new UndecodableRecordException(what + " field '" + field + "' must be an integer, but was " + value);
        }
        return value.longValue();
    }

    private static Budget budget(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!(node instanceof ObjectNode object)) {
            throw new UndecodableRecordException("task field 'budget' must be an object, but was " + node);
        }
        onlyKnown(object, BUDGET_FIELDS, "budget");
        Integer steps = optionalInt(object, "maxSteps", "budget");
        Long tokens = object.hasNonNull("maxTokens") ? optionalLong(object, "maxTokens", "budget", 0) : null;
        Long wall = object.hasNonNull("maxWallTimeMs") ? optionalLong(object, "maxWallTimeMs", "budget", 0) : null;
        Long cost = object.hasNonNull("maxCostMicros") ? optionalLong(object, "maxCostMicros", "budget", 0) : null;
        return new Budget(steps, tokens, wall, cost);
    }

    private static Map<String, String> metadata(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw new UndecodableRecordException("task field 'metadata' must be an object of strings, but was " + node);
        }
        node.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw new UndecodableRecordException(
                        "task metadata '" + e.getKey() + "' must be a string, but was " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().textValue());
        });
        return out;
    }
}
