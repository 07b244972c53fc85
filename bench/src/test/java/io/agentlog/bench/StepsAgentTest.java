package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ScriptedTurn;
import io.agentlog.schemas.avro.ToolCall;
import org.junit.jupiter.api.Test;

class StepsAgentTest {

    @Test
    void shouldScriptOneNoopCallPerStepThenATextWhenBuilt() {
        // When
        AgentDefinition definition = StepsAgent.definition(7, 3);

        // Then
        assertThat(definition.getName()).isEqualTo("bench-steps");
        assertThat(definition.getVersion()).isEqualTo(7);
        assertThat(definition.getModel().getProvider()).isEqualTo("scripted");
        assertThat(definition.getScript()).hasSize(4);
        for (int turn = 0; turn < 3; turn++) {
            ScriptedTurn scripted = definition.getScript().get(turn);
            assertThat(scripted.getText()).isEmpty();
            assertThat(scripted.getToolCalls()).singleElement().satisfies(call -> {
                assertThat(call.getName()).isEqualTo(BuiltinTools.NOOP);
                assertThat(call.getArguments()).isEqualTo("{}");
            });
        }
        assertThat(definition.getScript().get(3).getToolCalls()).isEmpty();
        assertThat(definition.getScript().get(3).getText()).isEqualTo(StepsAgent.FINAL_TEXT);
    }

    @Test
    void shouldGiveEveryToolCallItsOwnIdWhenBuilt() {
        AgentDefinition definition = StepsAgent.definition(1, 5);

        assertThat(definition.getScript().stream()
                        .flatMap(t -> t.getToolCalls().stream())
                        .map(ToolCall::getId))
                .doesNotHaveDuplicates()
                .hasSize(5);
    }

    @Test
    void shouldBudgetExactlyTheScriptedTurnsWhenBuilt() {
        AgentDefinition definition = StepsAgent.definition(1, 5);

        assertThat(definition.getLimits().getMaxSteps()).isEqualTo(6);
        assertThat(definition.getLimits().getMaxTokens()).isZero();
        assertThat(definition.getLimits().getMaxWallTimeMs()).isZero();
    }

    @Test
    void shouldOfferOnlyTheBuiltinNoopToolOfTheToolsPoolWhenBuilt() {
        AgentDefinition definition = StepsAgent.definition(1, 1);

        assertThat(definition.getTools()).singleElement().satisfies(tool -> {
            assertThat(tool).isEqualTo(BuiltinTools.find(BuiltinTools.NOOP).orElseThrow());
            assertThat(tool.getPool()).isEqualTo(Topics.TOOLS_POOL);
            assertThat(tool.getRequiresApproval()).isFalse();
        });
    }

    @Test
    void shouldSurviveTheWireFormatWhenEncoded() {
        AgentDefinition definition = StepsAgent.definition(3, 2);
        AvroSerde<AgentDefinition> serde = AvroSerde.of(AgentDefinition.class);

        assertThat(serde.decode(serde.encode(definition))).isEqualTo(definition);
    }

    @Test
    void shouldRefuseStepsOrVersionsOutOfRangeQuotingThem() {
        assertThatThrownBy(() -> StepsAgent.definition(1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("steps per session must be between 1 and 1000, but was 0");
        assertThatThrownBy(() -> StepsAgent.definition(1, 1001)).hasMessageContaining("1001");
        assertThatThrownBy(() -> StepsAgent.definition(0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("agent versions start at 1, but was 0");
    }
}
