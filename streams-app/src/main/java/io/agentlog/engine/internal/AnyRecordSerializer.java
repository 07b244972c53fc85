package io.agentlog.engine.internal;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.DlqHeaders;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes any generated record in single-object encoding (which names its schema by fingerprint),
 * for the DLQ sink, where the engine re-writes a valid record it had to reject; a value too large
 * for the DLQ keeps its first bytes and says so in a header.
 */
public final class AnyRecordSerializer implements Serializer<SpecificRecord> {

    private final ConcurrentHashMap<Class<?>, AvroSerde<?>> serdes = new ConcurrentHashMap<>();

    @Override
    public byte[] serialize(String topic, Headers headers, SpecificRecord value) {
        return DlqHeaders.capValue(serialize(topic, value), headers);
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public byte[] serialize(String topic, SpecificRecord value) {
        if (value == null) {
            return null;
        }
        AvroSerde serde = serdes.computeIfAbsent(value.getClass(), type -> AvroSerde.of((Class) type));
        return serde.encode(value);
    }
}
