package io.agentlog.worker.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import io.agentlog.schemas.avro.ToolSpec;
import io.agentlog.worker.TerminalWorkException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tool's JSON Schema text to LangChain4j's {@link ToolSpecification}. LangChain4j takes the parameters as a
 * {@link JsonObjectSchema}; each property keeps its schema verbatim as a {@link JsonRawSchema}, so nested objects,
 * enums, arrays, formats and bounds reach the model unchanged.
 */
final class JsonSchemas {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonSchemas() {}

    static ToolSpecification toToolSpecification(ToolSpec tool) {
        var builder = ToolSpecification.builder().name(tool.getName());
        if (!tool.getDescription().isBlank()) {
            builder.description(tool.getDescription());
        }
        return builder.parameters(parameters(tool.getName(), tool.getParameters()))
                .build();
    }

    static JsonObjectSchema parameters(String toolName, String schemaText) {
        JsonNode schema;
        try {
            schema = JSON.readTree(schemaText);
        } catch (JsonProcessingException e) {
            throw new TerminalWorkException("the parameters of tool '" + toolName + "' are not valid JSON ("
                    + e.getOriginalMessage() + "): " + schemaText);
        }
        if (schema == null
                || !schema.isObject()
                || (schema.has("type") && !"object".equals(schema.path("type").asText()))) {
            throw new TerminalWorkException("the parameters of tool '" + toolName
                    + "' must be a JSON Schema of type object, but were: " + schemaText);
        }
        var builder = JsonObjectSchema.builder();
        if (schema.path("description").isTextual()) {
            builder.description(schema.get("description").asText());
        }
        Map<String, JsonSchemaElement> properties = new LinkedHashMap<>();
        schema.path("properties").properties().forEach(p -> properties.put(p.getKey(), raw(p.getValue())));
        builder.addProperties(properties);
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(name -> required.add(name.asText()));
        builder.required(required);
        if (schema.path("additionalProperties").isBoolean()) {
            builder.additionalProperties(schema.get("additionalProperties").asBoolean());
        }
        Map<String, JsonSchemaElement> definitions = new LinkedHashMap<>();
        schema.path("$defs").properties().forEach(d -> definitions.put(d.getKey(), raw(d.getValue())));
        if (!definitions.isEmpty()) {
            builder.definitions(definitions);
        }
        return builder.build();
    }

    private static JsonRawSchema raw(JsonNode node) {
        return JsonRawSchema.from(node.toString());
    }
}
