package io.agentlog.bench;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolCall;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent the {@code steps} benchmark runs: the scripted (offline) model calls the {@code noop} tool once per turn
 * for {@code steps} turns, then answers with a text. So a session takes {@code steps + 1} model turns and
 * {@code steps} tool calls, and nothing but agentlog's own machinery is measured.
 */
public final class StepsAgent {

    public static final String NAME = "bench-steps";
    public static final String SCRIPTED_PROVIDER = ScriptedAgent.SCRIPTED_PROVIDER;
    public static final String FINAL_TEXT = "done";

    /** More turns than this would only measure how the history grows, not a step. */
    public static final int MAX_STEPS = 1_000;

    private StepsAgent() {}

    /**
     * The definition {@code NAME@version}.
     *
     * @param steps tool-calling turns, 1 to {@link #MAX_STEPS}
     */
    public static AgentDefinition definition(int version, int steps) {
        requireSteps(steps);
        List<ScriptedTurn> script = new ArrayList<>(steps + 1);
        for (int turn = 0; turn < steps; turn++) {
            script.add(ScriptedAgent.calling(List.of(ToolCall.newBuilder()
                    .setId("call_" + turn + "_0")
                    .setName(BuiltinTools.NOOP)
                    .setArguments("{}")
                    .build())));
        }
        script.add(ScriptedAgent.answering(FINAL_TEXT));
        // one turn per tool call plus the final text turn: exactly the budget
        return ScriptedAgent.define(
                NAME,
                version,
                "agentlog bench: " + steps + " noop tool calls, then a text answer",
                List.of(BuiltinTools.NOOP),
                script);
    }

    static int requireSteps(int steps) {
        if (steps < 1 || steps > MAX_STEPS) {
            throw new IllegalArgumentException(
                    "steps per session must be between 1 and " + MAX_STEPS + ", but was " + steps);
        }
        return steps;
    }
}
