package io.agentlog.engine.internal;

import org.apache.avro.specific.SpecificRecord;

/** What a step answers: an input record (with where it was read) or a due timer. */
sealed interface Origin {

    record Input(String key, SpecificRecord value, String topic, int partition, long offset) implements Origin {}

    record Timer(String key, String sessionId, String timerId) implements Origin {}
}
