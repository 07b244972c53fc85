package io.agentlog.engine.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.client.AgentDefinitionException;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentRegistration;
import io.agentlog.client.AgentVersionConflictException;
import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AvroJson;
import io.agentlog.engine.internal.RegisteredAgents;
import io.agentlog.schemas.avro.AgentDefinition;
import io.javalin.http.Context;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code /agents}: the definitions on {@code agentlog.agents}, read from the engine's global {@code agents} store and
 * written through the client. A version, once registered, never changes: putting the same definition again is a
 * no-op, putting another one under a registered version is a 409.
 */
final class AgentsApi {

    private final AgentlogClient client;
    private final Supplier<RegisteredAgents> registered;

    AgentsApi(AgentlogClient client, Supplier<RegisteredAgents> registered) {
        this.client = client;
        this.registered = registered;
    }

    /** {@code GET /agents}: every agent's newest version, with the versions it has. */
    void list(Context ctx) {
        ObjectNode answer = Json.object();
        ArrayNode agents = answer.putArray("agents");
        List<AgentDefinition> all = registered.get().all();
        all.stream().map(AgentDefinition::getName).distinct().forEach(name -> {
            List<AgentDefinition> versions =
                    all.stream().filter(a -> a.getName().equals(name)).toList();
            agents.add(summary(versions));
        });
        Json.send(ctx, 200, answer);
    }

    /** {@code GET /agents/{name}}: the newest version's definition; {@code GET /agents/{name}/versions/{v}}: that one. */
    void get(Context ctx) {
        String name = ctx.pathParam("name");
        List<AgentDefinition> versions = registered.get().all().stream()
                .filter(a -> a.getName().equals(name))
                .toList();
        if (versions.isEmpty()) {
            throw ApiException.notFound("no agent " + name);
        }
        String version = ctx.pathParamMap().get("version");
        AgentDefinition definition;
        if (version == null) {
            definition = versions.getLast();
        } else {
            definition = versions.stream()
                    .filter(a -> String.valueOf(a.getVersion()).equals(version))
                    .findFirst()
                    .orElseThrow(() -> ApiException.notFound("agent " + name + " has no version " + version
                            + "; it has "
                            + versions.stream().map(AgentDefinition::getVersion).toList()));
        }
        Json.send(ctx, 200, AvroJson.toTree(definition));
    }

    /**
     * {@code PUT /agents/{name}}: registers the definition in the body (YAML, or JSON with {@code Content-Type:
     * application/json}); its {@code name} must be the path's. 201 when written, 200 when that version already held
     * the same definition, 409 when it holds another one.
     */
    void put(Context ctx) {
        String name = ctx.pathParam("name");
        boolean json = String.valueOf(ctx.contentType()).startsWith("application/json");
        AgentDefinition definition;
        try {
            definition = AgentDefinitions.parse(ctx.body(), json ? "request body.json" : "request body.yaml");
        } catch (AgentDefinitionException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (!definition.getName().equals(name)) {
            throw ApiException.badRequest(
                    "the definition is named '" + definition.getName() + "', but the path says '" + name + "'");
        }
        AgentRegistration registration;
        try {
            registration = client.putAgent(definition);
        } catch (AgentVersionConflictException e) {
            throw ApiException.conflict(e.getMessage());
        }
        Json.send(
                ctx,
                registration.alreadyRegistered() ? 200 : 201,
                Json.object()
                        .put("key", registration.key())
                        .put("name", definition.getName())
                        .put("version", definition.getVersion())
                        .put("alreadyRegistered", registration.alreadyRegistered())
                        .put("createdAt", registration.createdAt().toString()));
    }

    private static JsonNode summary(List<AgentDefinition> versions) {
        AgentDefinition newest = versions.getLast();
        ObjectNode node = Json.object()
                .put("name", newest.getName())
                .put("version", newest.getVersion())
                .put(
                        "description",
                        newest.getDescription() == null
                                ? null
                                : newest.getDescription().toString());
        ArrayNode all = node.putArray("versions");
        versions.forEach(v -> all.add(v.getVersion()));
        node.set("model", AvroJson.toTree(newest.getModel()));
        return node;
    }
}
