package io.agentlog.local.chaos;

import io.agentlog.client.AgentDefinitions;
import io.agentlog.schemas.avro.AgentDefinition;

/**
 * The chaos test's scripted agent: three tool-calling turns and a final answer. Each turn calls two or three tools
 * in parallel; every turn calls the at-most-once {@code ledger_append} (a side effect on a worker), the others are
 * the idempotent {@code noop} (on a worker) and {@code write_file} (inline in the engine). The task's input is its
 * session id, which {@link LedgerModelProvider} records.
 */
final class ChaosAgent {

    static final String NAME = "chaos";
    static final int TOOL_TURNS = 3;
    static final int LEDGER_CALLS_PER_SESSION = 3;

    private static final String YAML = """
            name: chaos
            version: 1
            description: Chaos test agent (scripted, offline); every turn appends to the side-effect ledger
            model:
              provider: scripted
            systemPrompt: You are the chaos test agent.
            tools:
              - noop
              - write_file
              - name: ledger_append
                description: Appends the call's idempotency key to the chaos ledger (a side effect)
                parameters: {type: object, properties: {}}
                pool: tools
                semantics: at-most-once
                timeoutMs: 120000
            limits:
              maxSteps: 10
              maxToolCallsPerTurn: 4
              maxWallTimeMs: 900000
            script:
              - text: Turn one.
                toolCalls:
                  - name: ledger_append
                    arguments: {}
                  - name: noop
                    arguments: {}
                  - name: write_file
                    arguments: {path: turn1.txt, content: one}
              - toolCalls:
                  - name: noop
                    arguments: {}
                  - name: ledger_append
                    arguments: {}
                  - name: noop
                    arguments: {}
              - toolCalls:
                  - name: ledger_append
                    arguments: {}
                  - name: write_file
                    arguments: {path: turn3.txt, content: three}
              - text: Done.
            """;

    private ChaosAgent() {}

    static AgentDefinition definition() {
        return AgentDefinitions.parse(YAML, "chaos-agent.yaml");
    }
}
