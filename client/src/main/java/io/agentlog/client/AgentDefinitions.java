package io.agentlog.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.ModelSpecRules;
import io.agentlog.schemas.Secrets;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Compaction;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.ToolSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads an agent definition file (YAML or JSON) into an {@link AgentDefinition}, checking everything a session
 * would otherwise trip over later. Every problem is reported at once, each quoting the bad value:
 *
 * <pre>
 * name: demo                      # required: letters, digits, '.', '_', '-'
 * version: 1                      # required: 1 or more
 * description: What it does
 * model:                          # required
 *   provider: scripted            # 'scripted' (turns below, offline) or 'openai' (any OpenAI-compatible endpoint)
 *   name: gpt-4o-mini             # required for openai
 *   endpoint: local-llm           # one of the worker's model endpoints (AGENTLOG_MODEL_ENDPOINTS); default: the
 *                                 # provider's default endpoint. Never a URL: the worker owns URLs and API keys
 *   temperature: 0.2
 *   maxOutputTokens: 1024
 *   options: {reasoningEffort: low}   # no URLs, credentials or headers: those are refused
 * systemPrompt: You are ...
 * tools:
 *   - write_file                  # a built-in tool by name
 *   - name: lookup_order          # or a tool of your own (or a built-in with some fields changed)
 *     description: Find an order
 *     parameters: {type: object, properties: {id: {type: string}}, required: [id]}
 *     pool: orders                # the worker pool that runs it (default 'tools')
 *     semantics: at-most-once     # or idempotent (default)
 *     requiresApproval: true
 *     timeoutMs: 30000
 * limits: {maxSteps: 10, maxTokens: 0, maxWallTimeMs: 0, maxToolCallsPerTurn: 16}
 * compaction: {maxHistoryTokens: 50000, keepRecentMessages: 6}   # summarize older history past ~50k tokens
 * script:                         # the scripted provider's turns, in order
 *   - toolCalls:
 *       - {name: write_file, arguments: {path: a.txt, content: hi}}   # id defaults to call_&lt;turn&gt;_&lt;n&gt;
 *   - text: Done.
 * </pre>
 *
 * <p>A definition is readable by everyone who may read {@code agentlog.agents}, so one that looks like it carries a
 * secret (an API key, a bearer token, a URL with a password, anywhere in it) is refused, and so is a model option that
 * names a URL or a credential ({@link ModelSpecRules}).
 */
public final class AgentDefinitions {

    public static final String SCRIPTED = "scripted";
    public static final String OPENAI = "openai";
    public static final String ANTHROPIC = "anthropic";
    public static final Set<String> PROVIDERS = Set.of(SCRIPTED, OPENAI, ANTHROPIC);

    static final Pattern AGENT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private static final Set<String> TOP_FIELDS = orderedSet(
            "name", "version", "description", "model", "systemPrompt", "tools", "limits", "compaction", "script");
    private static final Set<String> COMPACTION_FIELDS = orderedSet("maxHistoryTokens", "keepRecentMessages", "prompt");
    private static final Set<String> PRICE_FIELDS =
            orderedSet("inputPerMillion", "outputPerMillion", "cachedInputPerMillion");
    private static final Set<String> MODEL_FIELDS =
            orderedSet("provider", "name", "endpoint", "temperature", "maxOutputTokens", "options", "price");
    private static final Set<String> TOOL_FIELDS =
            orderedSet("name", "description", "parameters", "pool", "semantics", "requiresApproval", "timeoutMs");
    private static final Set<String> LIMIT_FIELDS = orderedSet(
            "maxSteps",
            "maxTokens",
            "maxWallTimeMs",
            "maxToolCallsPerTurn",
            "maxCostMicros",
            "maxAgentCostMicrosPerDay");
    private static final Set<String> TURN_FIELDS = orderedSet("text", "toolCalls");
    private static final Set<String> CALL_FIELDS = orderedSet("id", "name", "arguments");

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private AgentDefinitions() {}

    /** Reads and validates a definition file; YAML unless its name ends in {@code .json} or its text starts with '{'. */
    public static AgentDefinition load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new AgentDefinitionException(file.toString(), List.of("no such file"));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new AgentDefinitionException(
                    file.toString(), List.of("it is not UTF-8 text; an agent definition is a YAML or JSON file"));
        } catch (IOException e) {
            throw new AgentDefinitionException(file.toString(), List.of("cannot read it: " + e.getMessage()));
        }
        return parse(text, file.toString());
    }

    /** Parses and validates definition text; {@code source} names it in error messages (and picks the format). */
    public static AgentDefinition parse(String text, String source) {
        JsonNode root = readTree(text, source);
        Problems problems = new Problems();
        AgentDefinition definition = new Reader(problems).definition(root);
        if (!problems.isEmpty()) {
            throw new AgentDefinitionException(source, problems.list);
        }
        return definition;
    }

    private static JsonNode readTree(String text, String source) {
        String lower = source.toLowerCase(Locale.ROOT);
        boolean json = lower.endsWith(".json")
                || (!lower.endsWith(".yaml")
                        && !lower.endsWith(".yml")
                        && text.stripLeading().startsWith("{"));
        try {
            JsonNode root = (json ? JSON : YAML).readTree(text);
            if (root == null || root.isMissingNode() || root.isNull()) {
                throw new AgentDefinitionException(
                        source,
                        List.of("the file is empty; it must hold an agent "
                                + "definition with at least name, version and model"));
            }
            if (!root.isObject()) {
                throw new AgentDefinitionException(
                        source,
                        List.of("the file must hold one object (name, version, " + "model, ...), but holds "
                                + describe(root)));
            }
            return root;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr();
            throw new AgentDefinitionException(
                    source, List.of("not valid " + (json ? "JSON" : "YAML") + where + ": " + e.getOriginalMessage()));
        }
    }

    private static final class Problems {
        private final List<String> list = new ArrayList<>();

        void add(String problem) {
            list.add(problem);
        }

        boolean isEmpty() {
            return list.isEmpty();
        }
    }

    /** Walks the tree, collecting problems; returns a definition that is only meaningful when there are none. */
    private static final class Reader {
        private final Problems problems;

        Reader(Problems problems) {
            this.problems = problems;
        }

        AgentDefinition definition(JsonNode root) {
            unknownFields(root, TOP_FIELDS, "the definition");
            String name = requiredText(root, "name", "the definition").orElse("");
            if (!name.isEmpty() && !AGENT_NAME.matcher(name).matches()) {
                problems.add("name '" + name + "' is invalid: it must match " + AGENT_NAME.pattern());
            }
            int version = requiredInt(root, "version", "the definition", 1, Integer.MAX_VALUE)
                    .orElse(0);
            ModelSpec model = model(root.get("model"));
            List<ToolSpec> tools = tools(root.get("tools"));
            Limits limits = limits(root.get("limits"));
            Compaction compaction = compaction(root.get("compaction"));
            List<ScriptedTurn> script = script(root.get("script"), tools);
            secrets(root, "");
            JsonNode scriptNode = root.path("script");
            if (SCRIPTED.equals(model.getProvider()) && (scriptNode.isMissingNode() || scriptNode.isNull())) {
                problems.add("model.provider is 'scripted' but there is no script: add a 'script' list of turns "
                        + "({text: ...} or {toolCalls: [...]})");
            } else if (SCRIPTED.equals(model.getProvider()) && scriptNode.isArray() && scriptNode.isEmpty()) {
                problems.add("model.provider is 'scripted' but the script is empty: add at least one turn");
            }
            if (PROVIDERS.contains(model.getProvider())
                    && !SCRIPTED.equals(model.getProvider())
                    && !scriptNode.isMissingNode()
                    && !scriptNode.isNull()) {
                problems.add("script is only read by the 'scripted' provider, but model.provider is '"
                        + model.getProvider() + "': remove the script or use provider 'scripted'");
            }
            return AgentDefinition.newBuilder()
                    .setName(name)
                    .setVersion(version)
                    .setDescription(
                            optionalText(root, "description", "the definition").orElse(""))
                    .setModel(model)
                    .setSystemPrompt(
                            optionalText(root, "systemPrompt", "the definition").orElse(""))
                    .setTools(tools)
                    .setLimits(limits)
                    .setCompaction(compaction)
                    .setScript(script)
                    .setCreatedAt(Instant.EPOCH)
                    .build();
        }

        private ModelSpec model(JsonNode node) {
            ModelSpec.Builder model = ModelSpec.newBuilder().setProvider("").setName("");
            if (node == null || node.isNull()) {
                problems.add("model is missing: add e.g. 'model: {provider: scripted}' or "
                        + "'model: {provider: openai, name: gpt-4o-mini}'");
                return model.build();
            }
            if (!isObject(node, "model")) {
                return model.build();
            }
            unknownFields(node, MODEL_FIELDS, "model");
            String provider = requiredText(node, "provider", "model").orElse("");
            if (!provider.isEmpty() && !PROVIDERS.contains(provider)) {
                problems.add(
                        "model.provider '" + provider + "' is not supported: use 'scripted', 'openai' or 'anthropic'");
            }
            model.setProvider(provider);
            Optional<String> modelName = optionalText(node, "name", "model");
            if (OPENAI.equals(provider) && modelName.filter(n -> !n.isBlank()).isEmpty()) {
                problems.add("model.name is missing: the 'openai' provider needs the model's name (e.g. gpt-4o-mini)");
            }
            if (ANTHROPIC.equals(provider)
                    && modelName.filter(n -> !n.isBlank()).isEmpty()) {
                problems.add("model.name is missing: the 'anthropic' provider needs the model's name"
                        + " (e.g. claude-sonnet-4-5)");
            }
            model.setName(modelName.orElse(""));
            String endpoint = optionalText(node, "endpoint", "model").orElse("");
            if (SCRIPTED.equals(provider) && !endpoint.isEmpty()) {
                problems.add("model.endpoint is only read by the 'openai' and 'anthropic' providers, but"
                        + " model.provider is 'scripted': remove it");
            }
            if (ANTHROPIC.equals(provider) && endpoint.isBlank()) {
                problems.add("model.endpoint is missing: the 'anthropic' provider has no default endpoint; name one of"
                        + " the worker's endpoints with \"provider\": \"anthropic\" (AGENTLOG_MODEL_ENDPOINTS)");
            }
            model.setEndpoint(endpoint);
            JsonNode temperature = node.get("temperature");
            if (temperature != null && !temperature.isNull()) {
                if (!temperature.isNumber() || temperature.asDouble() < 0 || temperature.asDouble() > 2) {
                    problems.add("model.temperature must be a number from 0 to 2, but was " + describe(temperature));
                } else {
                    model.setTemperature(temperature.asDouble());
                }
            }
            optionalInt(node, "maxOutputTokens", "model", 1, Integer.MAX_VALUE).ifPresent(model::setMaxOutputTokens);
            Map<String, String> options = stringMap(node.get("options"), "model.options");
            model.setOptions(options);
            ModelSpecRules.problems(endpoint, options).forEach(problems::add);
            model.setPrice(price(node.get("price")));
            return model.build();
        }

        /** Every text in the definition that looks like a credential (model options are checked on their own). */
        private void secrets(JsonNode node, String path) {
            if (path.equals("model.options")) {
                return;
            }
            if (node.isTextual()) {
                if (Secrets.looksLikeSecret(node.asText())) {
                    problems.add((path.isEmpty() ? "the definition" : path) + " looks like it carries a secret (an API"
                            + " key, a bearer token or a URL with a password): everyone who may read agentlog.agents"
                            + " can read a definition; remove it (model credentials belong to the worker's endpoints)");
                }
            } else if (node.isObject()) {
                node.properties()
                        .forEach(field -> secrets(
                                field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey()));
            } else if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    secrets(node.get(i), path + "[" + i + "]");
                }
            }
        }

        private List<ToolSpec> tools(JsonNode node) {
            List<ToolSpec> tools = new ArrayList<>();
            if (node == null || node.isNull()) {
                return tools;
            }
            if (!node.isArray()) {
                problems.add("tools must be a list of tool names or tool objects, but was " + describe(node));
                return tools;
            }
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                String where = "tools[" + i + "]";
                Optional<ToolSpec> tool = item.isTextual()
                        ? builtin(item.asText(), where)
                        : item.isObject() ? toolObject(item, where) : Optional.empty();
                if (!item.isTextual() && !item.isObject()) {
                    problems.add(where + " must be a built-in tool name or a tool object, but was " + describe(item));
                }
                tool.ifPresent(spec -> {
                    if (!seen.add(spec.getName())) {
                        problems.add(where + ": tool '" + spec.getName() + "' is listed twice");
                    } else {
                        tools.add(spec);
                    }
                });
            }
            return tools;
        }

        private Optional<ToolSpec> builtin(String name, String where) {
            Optional<ToolSpec> spec = BuiltinTools.find(name);
            if (spec.isEmpty()) {
                problems.add(where + ": unknown tool '" + name + "'; built-in tools are " + BuiltinTools.names()
                        + " (define your own as an object with name, description, parameters and pool)");
            }
            return spec;
        }

        private Optional<ToolSpec> toolObject(JsonNode node, String where) {
            unknownFields(node, TOOL_FIELDS, where);
            Optional<String> name = requiredText(node, "name", where);
            if (name.isEmpty()) {
                return Optional.empty();
            }
            if (!TOOL_NAME.matcher(name.get()).matches()) {
                problems.add(
                        where + ": tool name '" + name.get() + "' is invalid: it must match " + TOOL_NAME.pattern());
                return Optional.empty();
            }
            String at = where + " (" + name.get() + ")";
            Optional<ToolSpec> base = BuiltinTools.find(name.get());
            ToolSpec.Builder tool = base.map(ToolSpec::newBuilder)
                    .orElseGet(ToolSpec::newBuilder)
                    .setName(name.get());
            optionalText(node, "description", at).ifPresent(tool::setDescription);
            JsonNode parameters = node.get("parameters");
            if (parameters != null && !parameters.isNull()) {
                if (!parameters.isObject()) {
                    problems.add(at + ": parameters must be a JSON Schema object, but was " + describe(parameters));
                } else if (parameters.has("type")
                        && !"object".equals(parameters.get("type").asText())) {
                    problems.add(at + ": parameters must describe an object (type: object), but its type was "
                            + describe(parameters.get("type")));
                } else {
                    tool.setParameters(parameters.toString());
                }
            }
            optionalText(node, "pool", at).ifPresent(pool -> {
                if (base.isPresent() && pool.equals(base.get().getPool())) {
                    tool.setPool(pool);
                } else if (pool.equals(Topics.ENGINE_POOL)) {
                    problems.add(at + ": pool 'engine' is reserved for the built-in workspace tools; name the worker "
                            + "pool that runs this tool (e.g. 'tools')");
                } else {
                    try {
                        tool.setPool(Topics.validPool(pool));
                    } catch (IllegalArgumentException e) {
                        problems.add(at + ": " + e.getMessage());
                    }
                }
            });
            optionalText(node, "semantics", at)
                    .ifPresent(text -> semantics(text, at).ifPresent(tool::setSemantics));
            JsonNode approval = node.get("requiresApproval");
            if (approval != null && !approval.isNull()) {
                if (!approval.isBoolean()) {
                    problems.add(at + ": requiresApproval must be true or false, but was " + describe(approval));
                } else {
                    tool.setRequiresApproval(approval.asBoolean());
                }
            }
            optionalLong(node, "timeoutMs", at, 1, Long.MAX_VALUE).ifPresent(tool::setTimeoutMs);
            if (base.isEmpty() && !node.has("description")) {
                problems.add(at + ": a tool of your own needs a description, so the model knows when to call it");
            }
            return Optional.of(tool.build());
        }

        private Optional<ToolSemantics> semantics(String text, String where) {
            return switch (text.toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "idempotent" -> Optional.of(ToolSemantics.IDEMPOTENT);
                case "at-most-once" -> Optional.of(ToolSemantics.AT_MOST_ONCE);
                default -> {
                    problems.add(where + ": semantics '" + text + "' is not known: use 'idempotent' or 'at-most-once'");
                    yield Optional.empty();
                }
            };
        }

        /** {@code price: {inputPerMillion: 3, outputPerMillion: 15, cachedInputPerMillion: 0.3}}, US dollars. */
        private ModelPrice price(JsonNode node) {
            if (node == null || node.isNull() || !isObject(node, "model.price")) {
                return null;
            }
            unknownFields(node, PRICE_FIELDS, "model.price");
            ModelPrice price = new ModelPrice(0.0, 0.0, null);
            for (String field : PRICE_FIELDS) {
                JsonNode value = node.get(field);
                if (value == null || value.isNull()) {
                    continue;
                }
                if (!value.isNumber() || value.asDouble() < 0 || !Double.isFinite(value.asDouble())) {
                    problems.add("model.price." + field + " must be a number of US dollars per million tokens, 0 or"
                            + " more, but was " + describe(value));
                    continue;
                }
                switch (field) {
                    case "inputPerMillion" -> price.setInputPerMillion(value.asDouble());
                    case "outputPerMillion" -> price.setOutputPerMillion(value.asDouble());
                    default -> price.setCachedInputPerMillion(value.asDouble());
                }
            }
            return price;
        }

        private Compaction compaction(JsonNode node) {
            if (node == null || node.isNull() || !isObject(node, "compaction")) {
                return null;
            }
            unknownFields(node, COMPACTION_FIELDS, "compaction");
            Compaction.Builder compaction = Compaction.newBuilder();
            requiredLong(node, "maxHistoryTokens", "compaction", 1, Long.MAX_VALUE)
                    .ifPresent(compaction::setMaxHistoryTokens);
            optionalInt(node, "keepRecentMessages", "compaction", 1, 10_000)
                    .ifPresent(compaction::setKeepRecentMessages);
            optionalText(node, "prompt", "compaction").ifPresent(compaction::setPrompt);
            return compaction.build();
        }

        private Limits limits(JsonNode node) {
            Limits.Builder limits = Limits.newBuilder();
            if (node == null || node.isNull() || !isObject(node, "limits")) {
                return limits.build();
            }
            unknownFields(node, LIMIT_FIELDS, "limits");
            optionalInt(node, "maxSteps", "limits", 0, Integer.MAX_VALUE).ifPresent(limits::setMaxSteps);
            optionalLong(node, "maxTokens", "limits", 0, Long.MAX_VALUE).ifPresent(limits::setMaxTokens);
            optionalLong(node, "maxWallTimeMs", "limits", 0, Long.MAX_VALUE).ifPresent(limits::setMaxWallTimeMs);
            optionalInt(node, "maxToolCallsPerTurn", "limits", 0, Integer.MAX_VALUE)
                    .ifPresent(limits::setMaxToolCallsPerTurn);
            optionalLong(node, "maxCostMicros", "limits", 0, Long.MAX_VALUE).ifPresent(limits::setMaxCostMicros);
            optionalLong(node, "maxAgentCostMicrosPerDay", "limits", 0, Long.MAX_VALUE)
                    .ifPresent(limits::setMaxAgentCostMicrosPerDay);
            return limits.build();
        }

        private List<ScriptedTurn> script(JsonNode node, List<ToolSpec> tools) {
            List<ScriptedTurn> turns = new ArrayList<>();
            if (node == null || node.isNull()) {
                return turns;
            }
            if (!node.isArray()) {
                problems.add("script must be a list of turns ({text: ...} or {toolCalls: [...]}), but was "
                        + describe(node));
                return turns;
            }
            Map<String, ToolSpec> byName = new LinkedHashMap<>();
            tools.forEach(tool -> byName.put(tool.getName(), tool));
            for (int turn = 0; turn < node.size(); turn++) {
                JsonNode item = node.get(turn);
                String where = "script[" + turn + "]";
                if (!isObject(item, where)) {
                    continue;
                }
                unknownFields(item, TURN_FIELDS, where);
                String text = optionalText(item, "text", where).orElse("");
                List<ToolCall> calls = toolCalls(item.get("toolCalls"), turn, where, byName);
                if (text.isEmpty() && calls.isEmpty() && !item.has("toolCalls")) {
                    problems.add(where + " has neither text nor toolCalls: a turn answers with text, calls tools, "
                            + "or both");
                }
                turns.add(ScriptedTurn.newBuilder()
                        .setText(text)
                        .setToolCalls(calls)
                        .build());
            }
            return turns;
        }

        private List<ToolCall> toolCalls(JsonNode node, int turn, String where, Map<String, ToolSpec> tools) {
            List<ToolCall> calls = new ArrayList<>();
            if (node == null || node.isNull()) {
                return calls;
            }
            if (!node.isArray() || node.isEmpty()) {
                problems.add(
                        where + ".toolCalls must be a non-empty list of {name, arguments}, but was " + describe(node));
                return calls;
            }
            Set<String> ids = new HashSet<>();
            for (int n = 0; n < node.size(); n++) {
                JsonNode call = node.get(n);
                String at = where + ".toolCalls[" + n + "]";
                if (!isObject(call, at)) {
                    continue;
                }
                unknownFields(call, CALL_FIELDS, at);
                String id = optionalText(call, "id", at).orElse("call_" + turn + "_" + n);
                if (!ids.add(id)) {
                    problems.add(at + ": call id '" + id + "' is used twice in this turn");
                }
                String name = requiredText(call, "name", at).orElse("");
                ToolSpec tool = tools.get(name);
                if (!name.isEmpty() && tool == null) {
                    problems.add(at + " calls tool '" + name + "', which is not in the agent's tools " + tools.keySet()
                            + ": add it to 'tools'");
                }
                JsonNode arguments = call.get("arguments");
                String argumentsText = "{}";
                if (arguments != null && !arguments.isNull()) {
                    if (!arguments.isObject()) {
                        problems.add(at + ".arguments must be an object, but was " + describe(arguments));
                    } else {
                        argumentsText = arguments.toString();
                        if (tool != null) {
                            checkArguments(arguments, tool, at);
                        }
                    }
                } else if (tool != null) {
                    checkArguments(JSON.createObjectNode(), tool, at);
                }
                calls.add(ToolCall.newBuilder()
                        .setId(id)
                        .setName(name)
                        .setArguments(argumentsText)
                        .build());
            }
            return calls;
        }

        /** Checks the arguments against the top level of the tool's schema: required and allowed property names. */
        private void checkArguments(JsonNode arguments, ToolSpec tool, String where) {
            JsonNode schema;
            try {
                schema = JSON.readTree(tool.getParameters());
            } catch (JsonProcessingException e) {
                return;
            }
            for (JsonNode required : schema.path("required")) {
                if (!arguments.has(required.asText())) {
                    problems.add(where + ": tool '" + tool.getName() + "' needs argument '" + required.asText()
                            + "', which is missing");
                }
            }
            JsonNode properties = schema.path("properties");
            if (schema.path("additionalProperties").isBoolean()
                    && !schema.path("additionalProperties").asBoolean()) {
                for (Iterator<String> it = arguments.fieldNames(); it.hasNext(); ) {
                    String field = it.next();
                    if (!properties.has(field)) {
                        List<String> allowed = new ArrayList<>();
                        properties.fieldNames().forEachRemaining(allowed::add);
                        problems.add(where + ": tool '" + tool.getName() + "' has no argument '" + field
                                + "'; its arguments are " + allowed);
                    }
                }
            }
        }

        private Map<String, String> stringMap(JsonNode node, String where) {
            Map<String, String> map = new LinkedHashMap<>();
            if (node == null || node.isNull()) {
                return map;
            }
            if (!node.isObject()) {
                problems.add(where + " must be a map of names to values, but was " + describe(node));
                return map;
            }
            node.properties().forEach(entry -> {
                if (entry.getValue().isValueNode() && !entry.getValue().isNull()) {
                    map.put(entry.getKey(), entry.getValue().asText());
                } else {
                    problems.add(where + "." + entry.getKey() + " must be a text, number or boolean, but was "
                            + describe(entry.getValue()));
                }
            });
            return map;
        }

        private boolean isObject(JsonNode node, String where) {
            if (!node.isObject()) {
                problems.add(where + " must be an object, but was " + describe(node));
                return false;
            }
            return true;
        }

        private void unknownFields(JsonNode node, Set<String> known, String where) {
            node.fieldNames().forEachRemaining(field -> {
                if (!known.contains(field)) {
                    problems.add("unknown field '" + field + "' in " + where + "; known fields are " + known);
                }
            });
        }

        private Optional<String> requiredText(JsonNode node, String field, String where) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                problems.add(qualified(where, field) + " is missing");
                return Optional.empty();
            }
            if (!value.isTextual() || value.asText().isBlank()) {
                problems.add(qualified(where, field) + " must be a non-empty text, but was " + describe(value));
                return Optional.empty();
            }
            return Optional.of(value.asText());
        }

        private Optional<String> optionalText(JsonNode node, String field, String where) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                return Optional.empty();
            }
            if (!value.isTextual()) {
                problems.add(qualified(where, field) + " must be a text, but was " + describe(value));
                return Optional.empty();
            }
            return Optional.of(value.asText());
        }

        private Optional<Integer> requiredInt(JsonNode node, String field, String where, int min, int max) {
            return requiredLong(node, field, where, min, max).map(Long::intValue);
        }

        private Optional<Long> requiredLong(JsonNode node, String field, String where, long min, long max) {
            if (node.get(field) == null || node.get(field).isNull()) {
                problems.add(qualified(where, field) + " is missing");
                return Optional.empty();
            }
            return optionalLong(node, field, where, min, max);
        }

        private Optional<Integer> optionalInt(JsonNode node, String field, String where, int min, int max) {
            return optionalLong(node, field, where, min, max).map(Long::intValue);
        }

        private Optional<Long> optionalLong(JsonNode node, String field, String where, long min, long max) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                return Optional.empty();
            }
            if (!value.isIntegralNumber()
                    || !value.canConvertToLong()
                    || value.asLong() < min
                    || value.asLong() > max) {
                String range =
                        max == Integer.MAX_VALUE || max == Long.MAX_VALUE ? min + " or more" : min + " to " + max;
                problems.add(
                        qualified(where, field) + " must be a whole number, " + range + ", but was " + describe(value));
                return Optional.empty();
            }
            return Optional.of(value.asLong());
        }

        private static String qualified(String where, String field) {
            return where.equals("the definition") ? field : where + "." + field;
        }
    }

    /** A value as it appears in the file, with its kind when that is what is wrong. */
    static String describe(JsonNode node) {
        if (node.isTextual()) {
            return "'" + node.asText() + "'";
        }
        if (node.getNodeType() == JsonNodeType.OBJECT) {
            return "an object " + abbreviate(node.toString());
        }
        if (node.getNodeType() == JsonNodeType.ARRAY) {
            return "a list " + abbreviate(node.toString());
        }
        return node.toString();
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    private static Set<String> orderedSet(String... values) {
        return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(List.of(values)));
    }
}
