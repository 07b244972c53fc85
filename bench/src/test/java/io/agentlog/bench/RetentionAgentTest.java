package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolSpec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RetentionAgentTest {

    @Test
    void shouldWriteAFileOfTheGivenSizeAndCallNoopThenAnswerWhenBuilt() throws Exception {
        // When
        AgentDefinition definition = RetentionAgent.definition(3, 1024);

        // Then
        assertThat(definition.getName()).isEqualTo("bench-retention");
        assertThat(definition.getVersion()).isEqualTo(3);
        assertThat(definition.getModel().getProvider()).isEqualTo("scripted");
        assertThat(definition.getScript()).hasSize(2);
        assertThat(definition.getScript().get(0).getToolCalls())
                .extracting(ToolCall::getName)
                .containsExactly(BuiltinTools.WRITE_FILE, BuiltinTools.NOOP);
        JsonNode write = new ObjectMapper()
                .readTree(definition.getScript().get(0).getToolCalls().get(0).getArguments());
        assertThat(write.get("path").asText()).isEqualTo(RetentionAgent.FILE_PATH);
        assertThat(write.get("content").asText().getBytes(StandardCharsets.UTF_8))
                .hasSize(1024);
        assertThat(definition.getScript().get(1).getToolCalls()).isEmpty();
        assertThat(definition.getScript().get(1).getText()).isEqualTo(RetentionAgent.FINAL_TEXT);
        assertThat(definition.getLimits().getMaxSteps()).isEqualTo(2);
        assertThat(definition.getTools())
                .extracting(ToolSpec::getName)
                .containsExactly(BuiltinTools.WRITE_FILE, BuiltinTools.NOOP);
    }

    @Test
    void shouldSurviveTheWireFormatWithTheLargestFileWhenEncoded() {
        AgentDefinition definition = RetentionAgent.definition(1, RetentionAgent.MAX_FILE_BYTES);
        AvroSerde<AgentDefinition> serde = AvroSerde.of(AgentDefinition.class);

        byte[] encoded = serde.encode(definition);

        assertThat(serde.decode(encoded)).isEqualTo(definition);
        assertThat(encoded.length).isLessThan(1024 * 1024); // the agents topic's record limit
    }

    @Test
    void shouldRefuseAFileSizeOutOfRangeQuotingIt() {
        assertThatThrownBy(() -> RetentionAgent.definition(1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("file bytes must be between 1 and 262144, but was 0");
        assertThatThrownBy(() -> RetentionAgent.definition(1, RetentionAgent.MAX_FILE_BYTES + 1))
                .hasMessageContaining("262145");
    }
}
