package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.WorkRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class LimitsTest {

    private static EngineConfig withContentCap(int chars) throws Exception {
        EngineConfig d = EngineConfig.defaults("unused:9092", EngineDriver.tempDir());
        return d.toBuilder()
                .maxContentChars(chars)
                .maxFileBytes(16 * 1024 * 1024)
                .maxWorkspaceBytes(EngineConfig.MAX_PAYLOAD_BYTES)
                .build();
    }

    @Test
    void shouldCapALongToolOutputAndKeepTheFullTextInTheWorkspace() throws Exception {
        try (EngineDriver engine = new EngineDriver(withContentCap(300))) {
            engine.register(agent("helper", List.of("noop", "read_file")));
            engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
            engine.workResults.pipeInput("s1", modelReply(engine.nextModelCall(), "", call("a", "noop", "{}")));

            String longOutput = "0123456789".repeat(100);
            engine.workResults.pipeInput("s1", toolResult(engine.toolWork.readValue(), longOutput));

            WorkRequest next = engine.nextModelCall();
            Message shown = engine.modelCall(next).getMessages().getLast();
            assertThat(shown.getContent())
                    .startsWith(longOutput.substring(0, 300))
                    .contains(
                            "[truncated: 700 more characters; the full text is in workspace file .agentlog/outputs/tool-a.txt]");
            engine.workResults.pipeInput(
                    "s1", modelReply(next, "", call("b", "read_file", "{\"path\":\".agentlog/outputs/tool-a.txt\"}")));
            Message reread =
                    engine.modelCall(engine.nextModelCall()).getMessages().getLast();
            assertThat(reread.getRole()).isEqualTo(Role.TOOL);
            assertThat(reread.getContent()).startsWith("0123456789").contains("[truncated: 700 more");
        }
    }

    @Test
    void shouldRefuseToolCallsWhoseArgumentsPassThePerTurnBudget() throws Exception {
        try (EngineDriver engine = new EngineDriver(withContentCap(300))) {
            engine.register(agent("helper", List.of("noop")));
            engine.tasks.pipeInput("s1", task("s1", "helper", "x"));
            String big = "{\"data\":\"" + "z".repeat(3 * 1024 * 1024) + "\"}";

            engine.workResults.pipeInput(
                    "s1", modelReply(engine.nextModelCall(), "", call("a", "noop", big), call("b", "noop", big)));

            // the first fits and runs; the second is refused, and recorded without its arguments
            assertThat(engine.toolWork.readValuesToList()).hasSize(1);
            var journal = engine.allEvents();
            var responded = journal.stream()
                    .map(e -> e.getEvent())
                    .filter(io.agentlog.schemas.avro.ModelResponded.class::isInstance)
                    .map(io.agentlog.schemas.avro.ModelResponded.class::cast)
                    .findFirst()
                    .orElseThrow();
            assertThat(responded.getToolCalls().get(1).getArguments()).contains("over the per-turn limit");
            assertThat(journal)
                    .extracting(e -> e.getEvent())
                    .filteredOn(io.agentlog.schemas.avro.ToolCompleted.class::isInstance)
                    .map(e -> ((io.agentlog.schemas.avro.ToolCompleted) e).getContent())
                    .containsExactly("not run: the arguments of this turn's tool calls exceed 4194304 characters in"
                            + " all; write large content in smaller pieces");
        }
    }

    @Test
    void shouldFailTheSessionClearlyWhenTheConversationOutgrowsOneRequest() throws Exception {
        // Given the largest content cap a valid config allows (each tool result up to 600,000 characters)
        try (EngineDriver engine = new EngineDriver(withContentCap(600_000))) {
            engine.register(agent("helper", List.of("noop")));
            engine.tasks.pipeInput("s1", task("s1", "helper", "x"));

            // When two turns of 16 tool calls each answer with 600,000 two-byte characters (1.2 MB each)
            String big = "\u00e9".repeat(600_000);
            for (int turn = 0; turn < 2 && engine.results.isEmpty(); turn++) {
                ToolCall[] calls = new ToolCall[16];
                for (int i = 0; i < calls.length; i++) {
                    calls[i] = call("c" + turn + "_" + i, "noop", "{}");
                }
                engine.workResults.pipeInput("s1", modelReply(engine.nextModelCall(), "", calls));
                for (WorkRequest tool : engine.toolWork.readValuesToList()) {
                    engine.workResults.pipeInput("s1", toolResult(tool, big));
                }
            }

            // Then the first turn's results still fit one model request, the second's do not: a clear failure
            SessionResult result = engine.results.readValue();
            assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.getError()).contains("too large for one model request");
            assertThat(result.getSteps()).isEqualTo(2);
            assertThat(engine.modelWork.isEmpty()).isTrue();
        }
    }
}
