package io.agentlog.schemas;

import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.TaskSubmitted;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of the user-facing input topics ({@code agentlog.tasks}, {@code agentlog.control}): writes
 * Avro single-object encoding, reads either that or a plain JSON object, told apart by the first
 * byte ({@code C3} or <code>{</code>), so any Kafka client can submit a task without Avro tooling.
 */
public final class InputSerde<T extends SpecificRecord> implements Serde<T> {

    private final AvroSerde<T> avro;
    private final Function<byte[], T> json;

    private InputSerde(AvroSerde<T> avro, Function<byte[], T> json) {
        this.avro = avro;
        this.json = json;
    }

    public static InputSerde<TaskSubmitted> tasks() {
        return new InputSerde<>(AvroSerde.of(TaskSubmitted.class), JsonInput::task);
    }

    public static InputSerde<ControlCommand> control() {
        return new InputSerde<>(AvroSerde.of(ControlCommand.class), JsonInput::control);
    }

    public T decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        int first = firstNonBlank(bytes);
        if (first >= 0 && bytes[first] == '{') {
            return json.apply(bytes);
        }
        return avro.decode(bytes);
    }

    private static int firstNonBlank(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (!Character.isWhitespace(bytes[i])) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Serializer<T> serializer() {
        return avro.serializer();
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> decode(bytes);
    }
}
