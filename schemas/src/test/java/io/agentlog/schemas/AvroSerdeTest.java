package io.agentlog.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ControlType;
import io.agentlog.schemas.avro.TaskSubmitted;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    @Test
    void shouldRoundTripInSingleObjectEncoding() {
        var serde = AvroSerde.of(TaskSubmitted.class);
        TaskSubmitted task = TaskSubmitted.newBuilder()
                .setSessionId("s")
                .setAgent("a")
                .setInput("hi")
                .build();

        byte[] bytes = serde.encode(task);

        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(serde.decode(bytes)).isEqualTo(task);
    }

    @Test
    void shouldRefuseARecordOfAnotherTypeWithAClearMessage() {
        byte[] control = AvroSerde.of(ControlCommand.class)
                .encode(ControlCommand.newBuilder()
                        .setSessionId("s")
                        .setType(ControlType.CANCEL)
                        .build());

        assertThatThrownBy(() -> AvroSerde.of(TaskSubmitted.class).decode(control))
                .isInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("cannot decode TaskSubmitted");
    }

    @Test
    void shouldReadTasksAsJsonOrAvro() {
        var serde = InputSerde.tasks();
        TaskSubmitted fromJson = serde.decode(
                " {\"agent\":\"a\",\"input\":\"hi\",\"budget\":{\"maxSteps\":3},\"metadata\":{\"k\":\"v\"}}"
                        .getBytes(StandardCharsets.UTF_8));

        assertThat(fromJson.getAgent()).isEqualTo("a");
        assertThat(fromJson.getBudget().getMaxSteps()).isEqualTo(3);
        assertThat(fromJson.getMetadata()).containsEntry("k", "v");
        assertThat(serde.decode(serde.serializer().serialize("t", fromJson))).isEqualTo(fromJson);
    }

    @Test
    void shouldExplainWhatIsWrongWithAJsonTask() {
        var serde = InputSerde.tasks();

        assertThatThrownBy(() -> serde.decode("{\"agent\":\"a\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("task field 'input' is required (a non-empty string)");
        assertThatThrownBy(() -> serde.decode(
                        "{\"agent\":\"a\",\"input\":\"x\",\"agentVersion\":\"2\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("task field 'agentVersion' must be an integer, but was \"2\"");
        assertThatThrownBy(() -> serde.decode("{\"agent\":".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(UndecodableRecordException.class)
                .hasMessageStartingWith("invalid JSON task");
    }

    @Test
    void shouldReadControlCommandsAsJson() {
        ControlCommand cancel = InputSerde.control()
                .decode("{\"type\":\"cancel\",\"sessionId\":\"s1\",\"message\":\"stop\"}"
                        .getBytes(StandardCharsets.UTF_8));

        assertThat(cancel.getType()).isEqualTo(ControlType.CANCEL);
        assertThatThrownBy(() -> InputSerde.control().decode("{\"type\":\"explode\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining(
                        "must be one of [CANCEL, STEER, APPROVE, DENY, RESUME, ANSWER], but was 'explode'");
    }

    @Test
    void shouldReadEditedArgumentsOfAnApprovalAsAnObjectOrAStringHoldingOne() {
        ControlCommand object = InputSerde.control()
                .decode("{\"type\":\"APPROVE\",\"toolCallId\":\"c1\",\"arguments\":{\"env\":\"staging\"}}"
                        .getBytes(StandardCharsets.UTF_8));
        ControlCommand string = InputSerde.control()
                .decode("{\"type\":\"APPROVE\",\"arguments\":\"{\\\"env\\\":1}\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(object.getArguments()).isEqualTo("{\"env\":\"staging\"}");
        assertThat(object.getToolCallId()).isEqualTo("c1");
        assertThat(string.getArguments()).isEqualTo("{\"env\":1}");
        assertThatThrownBy(() -> InputSerde.control()
                        .decode("{\"type\":\"APPROVE\",\"arguments\":[1]}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("'arguments' must be a JSON object");
    }
}
