package io.agentlog.bench;

import io.agentlog.schemas.avro.AgentDefinition;
import java.util.List;

/**
 * The agent of a 1-step session: its one scripted model turn answers with a text and calls no tool, so the session
 * is: the task into the engine, one model call on a model worker, the answer into the engine, the result out.
 */
final class OneStepAgent {

    static final String NAME = "bench-one-step";
    static final String ANSWER = "done";

    private OneStepAgent() {}

    static AgentDefinition definition(int version) {
        return ScriptedAgent.defineWith(
                NAME,
                version,
                "agentlog bench: one model turn that answers at once",
                List.of(),
                List.of(ScriptedAgent.answering(ANSWER)));
    }
}
