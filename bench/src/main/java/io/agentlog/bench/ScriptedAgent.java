package io.agentlog.bench;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolSpec;
import java.time.Instant;
import java.util.List;

/**
 * Definitions of the agents the benchmarks run: the offline scripted model plays a fixed list of turns, so nothing
 * but agentlog's own machinery is measured, and the step budget is exactly the script's length, so a runaway script
 * fails.
 */
final class ScriptedAgent {

    static final String SCRIPTED_PROVIDER = "scripted";

    private ScriptedAgent() {}

    static AgentDefinition define(
            String name, int version, String description, List<String> tools, List<ScriptedTurn> script) {
        return defineWith(
                name,
                version,
                description,
                tools.stream().map(ScriptedAgent::builtin).toList(),
                script);
    }

    /** An agent with these tool specs (built-in or custom). */
    static AgentDefinition defineWith(
            String name, int version, String description, List<ToolSpec> tools, List<ScriptedTurn> script) {
        if (version < 1) {
            throw new IllegalArgumentException("agent versions start at 1, but was " + version);
        }
        return AgentDefinition.newBuilder()
                .setName(name)
                .setVersion(version)
                .setDescription(description)
                .setModel(ModelSpec.newBuilder()
                        .setProvider(SCRIPTED_PROVIDER)
                        .setName("bench")
                        .build())
                .setSystemPrompt("")
                .setTools(tools)
                .setLimits(Limits.newBuilder().setMaxSteps(script.size()).build())
                .setScript(script)
                .setCreatedAt(Instant.now())
                .build();
    }

    /** A model turn that calls these tools. */
    static ScriptedTurn calling(List<ToolCall> calls) {
        return ScriptedTurn.newBuilder().setText("").setToolCalls(calls).build();
    }

    /** The last model turn: a text answer and no tool call. */
    static ScriptedTurn answering(String text) {
        return ScriptedTurn.newBuilder().setText(text).setToolCalls(List.of()).build();
    }

    private static ToolSpec builtin(String name) {
        return BuiltinTools.find(name)
                .orElseThrow(() ->
                        new IllegalStateException("the built-in tool '" + name + "' is missing from BuiltinTools"));
    }
}
