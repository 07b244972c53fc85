package io.agentlog.engine.internal;

import org.apache.kafka.common.serialization.Serializer;

/**
 * A record the engine writes, already encoded, with the topic it goes to: one sink writes them all, and every
 * record's size is known (and checked) before anything of its step is written.
 */
public record OutputRecord(String topic, byte[] value) {

    /** The sink's value serializer: the bytes as they are. */
    public static final class ValueSerializer implements Serializer<OutputRecord> {
        @Override
        public byte[] serialize(String topic, OutputRecord record) {
            return record == null ? null : record.value();
        }
    }
}
