package io.agentlog.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * Renders a generated Avro record as the plain JSON a person or a script expects: union values unwrapped (no
 * {@code {"string": ...}} wrappers), enums as their names, timestamps as ISO-8601 text, maps and arrays as such,
 * bytes as base64. {@link #fromTree} reads such JSON back into the generated record (the HTTP client does, with
 * the events and states the HTTP API sends).
 */
public final class AvroJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    private static final ObjectMapper PRETTY =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AvroJson() {}

    /** One line of compact JSON. */
    public static String toJson(IndexedRecord record) {
        return write(MAPPER, toTree(record));
    }

    /** Indented JSON. */
    public static String toPrettyJson(IndexedRecord record) {
        return write(PRETTY, toTree(record));
    }

    public static JsonNode toTree(IndexedRecord record) {
        return record == null ? NODES.nullNode() : node(record);
    }

    private static JsonNode node(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof IndexedRecord record) {
            ObjectNode object = NODES.objectNode();
            for (Schema.Field field : record.getSchema().getFields()) {
                object.set(field.name(), node(record.get(field.pos())));
            }
            return object;
        }
        if (value instanceof GenericEnumSymbol<?> || value instanceof Enum<?>) {
            return NODES.textNode(value.toString());
        }
        if (value instanceof CharSequence text) {
            return NODES.textNode(text.toString());
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof Float f) {
            return NODES.numberNode(f);
        }
        if (value instanceof Double d) {
            return NODES.numberNode(d);
        }
        if (value instanceof Instant || value instanceof LocalDate) {
            return NODES.textNode(value.toString());
        }
        if (value instanceof ByteBuffer buffer) {
            ByteBuffer copy = buffer.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
        }
        if (value instanceof GenericFixed fixed) {
            return NODES.textNode(Base64.getEncoder().encodeToString(fixed.bytes()));
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode object = NODES.objectNode();
            map.forEach((k, v) -> object.set(String.valueOf(k), node(v)));
            return object;
        }
        if (value instanceof Collection<?> items) {
            ArrayNode array = NODES.arrayNode();
            items.forEach(item -> array.add(node(item)));
            return array;
        }
        if (value instanceof GenericContainer container) {
            return NODES.textNode(container.toString());
        }
        return NODES.textNode(value.toString());
    }

    /**
     * The value of {@code schema} that {@link #toTree} rendered as {@code node}: generated records, enums, strings,
     * {@link Instant}s, {@link ByteBuffer}s, lists and maps, as the generated classes hold them. Fields the JSON lacks
     * take their schema's default; fields it has that the schema does not are ignored (a newer server). A union of
     * several non-null branches cannot be told apart from its JSON, so the caller resolves it and passes the branch.
     *
     * @throws IllegalArgumentException when the JSON does not fit the schema (the message names the field)
     */
    public static Object fromTree(JsonNode node, Schema schema) {
        return read(node == null ? NODES.nullNode() : node, schema, schema.getName());
    }

    private static Object read(JsonNode node, Schema schema, String path) {
        if (schema.getType() == Schema.Type.UNION) {
            List<Schema> branches = schema.getTypes().stream()
                    .filter(s -> s.getType() != Schema.Type.NULL)
                    .toList();
            if (node.isNull() && branches.size() < schema.getTypes().size()) {
                return null;
            }
            if (branches.size() != 1) {
                throw new IllegalArgumentException(path + " is a union of " + branches.size()
                        + " types, which its JSON does not tell apart: read its branch with fromTree");
            }
            return read(node, branches.getFirst(), path);
        }
        if (node.isNull() && schema.getType() != Schema.Type.NULL) {
            throw new IllegalArgumentException(path + " must be " + schema.getType() + ", but was null");
        }
        return switch (schema.getType()) {
            case RECORD -> {
                IndexedRecord record = (IndexedRecord) SpecificData.get().newRecord(null, schema);
                for (Schema.Field field : schema.getFields()) {
                    JsonNode value = node.get(field.name());
                    record.put(
                            field.pos(),
                            value == null && field.hasDefaultValue()
                                    ? defaultValue(field)
                                    : read(
                                            value == null ? NODES.nullNode() : value,
                                            field.schema(),
                                            path + "." + field.name()));
                }
                yield record;
            }
            case ENUM -> SpecificData.get().createEnum(node.asText(), schema);
            case STRING -> node.asText();
            case BOOLEAN -> node.asBoolean();
            case INT -> node.asInt();
            case LONG -> isTimestamp(schema) ? Instant.parse(node.asText()) : (Object) node.asLong();
            case FLOAT -> (float) node.asDouble();
            case DOUBLE -> node.asDouble();
            case BYTES -> ByteBuffer.wrap(Base64.getDecoder().decode(node.asText()));
            case FIXED ->
                SpecificData.get().createFixed(null, Base64.getDecoder().decode(node.asText()), schema);
            case ARRAY -> {
                List<Object> items = new ArrayList<>(node.size());
                int i = 0;
                for (JsonNode item : node) {
                    items.add(read(item, schema.getElementType(), path + "[" + i++ + "]"));
                }
                yield items;
            }
            case MAP -> {
                Map<String, Object> map = new LinkedHashMap<>();
                node.properties()
                        .forEach(e -> map.put(
                                e.getKey(), read(e.getValue(), schema.getValueType(), path + "." + e.getKey())));
                yield map;
            }
            case NULL -> null;
            case UNION -> throw new IllegalStateException("unions are read above");
        };
    }

    private static Object defaultValue(Schema.Field field) {
        Object value = SpecificData.get().getDefaultValue(field);
        return value instanceof Long millis && isTimestamp(field.schema()) ? Instant.ofEpochMilli(millis) : value;
    }

    private static boolean isTimestamp(Schema schema) {
        return schema.getLogicalType() != null
                && schema.getLogicalType().getName().equals("timestamp-millis");
    }

    private static String write(ObjectMapper mapper, JsonNode node) {
        try {
            return mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON: " + e.getMessage(), e);
        }
    }
}
