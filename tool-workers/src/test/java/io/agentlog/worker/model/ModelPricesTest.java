package io.agentlog.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ModelSpec;
import io.agentlog.worker.WorkerConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker's price table ({@code AGENTLOG_MODEL_PRICES}): read at start, applied to every model call it prices. */
class ModelPricesTest {

    @Test
    void shouldPriceEveryCallOfAModelInTheTableAndLeaveOthersAsTheyWere() {
        // Given a worker whose table prices the model "priced" at $2 in and $8 out per million tokens
        WorkerConfig config = WorkerConfig.fromEnv(
                Map.of(WorkerConfig.MODEL_PRICES, "{\"priced\": {\"inputPerMillion\": 2, \"outputPerMillion\": 8}}"));
        ModelProvider scripted =
                ModelProviders.defaults(config).find("scripted").orElseThrow();

        // When calls of that model and of another run
        ModelResult priced = scripted.complete(call("priced"), ScriptedModelProviderTest.CONTEXT);
        ModelResult unpriced = scripted.complete(call("other"), ScriptedModelProviderTest.CONTEXT);

        // Then the first carries its cost (9 input tokens × 2 + 5 output tokens × 8), the second none
        assertThat(priced.usage().getInputTokens()).isEqualTo(9);
        assertThat(priced.usage().getOutputTokens()).isEqualTo(5);
        assertThat(priced.usage().getCostMicros()).isEqualTo(9 * 2 + 5 * 8);
        assertThat(unpriced.usage().getCostMicros()).isZero();
    }

    @Test
    void shouldRefuseATableWithUnknownFieldsOrNegativePricesNamingTheSetting() {
        assertThatThrownBy(() -> WorkerConfig.fromEnv(
                        Map.of(WorkerConfig.MODEL_PRICES, "{\"m\": {\"inputPerMillion\": 1, \"perToken\": 2}}")))
                .hasMessageContaining("unknown field 'perToken' in AGENTLOG_MODEL_PRICES m");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of(
                        WorkerConfig.MODEL_PRICES, "{\"m\": {\"inputPerMillion\": -1, \"outputPerMillion\": 2}}")))
                .hasMessageContaining("AGENTLOG_MODEL_PRICES m.inputPerMillion must be a number of US dollars per"
                        + " million tokens, 0 or more, but was -1");
        assertThatThrownBy(() -> WorkerConfig.fromEnv(Map.of(WorkerConfig.MODEL_PRICES, "[1]")))
                .hasMessageContaining("AGENTLOG_MODEL_PRICES must be a JSON object of model name to prices");
    }

    private static ModelCall call(String model) {
        return ModelCall.newBuilder(ScriptedModelProviderTest.call(
                        0, List.of(ScriptedModelProviderTest.turn("The page says hello!"))))
                .setModel(new ModelSpec("scripted", model, null, null, Map.of(), "", null))
                .build();
    }
}
