package io.agentlog.engine.internal;

import org.apache.avro.specific.SpecificRecord;

/** What a step answers: an input record (with where it was read) or a due timer. */
sealed interface Origin {

    /** An input record; {@code timestamp} is its record timestamp (when its producer wrote it). */
    record Input(String key, SpecificRecord value, String topic, int partition, long offset, long timestamp)
            implements Origin {}

    record Timer(String key, String sessionId, String timerId) implements Origin {}
}
