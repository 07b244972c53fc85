package io.agentlog.engine.internal;

/** A record of a step would not fit its topic: the step is not written, and its session fails with this reason. */
final class OversizedRecordException extends RuntimeException {

    OversizedRecordException(String topic, int size, int limit) {
        super("a record for " + topic + " would be " + size + " bytes, more than the " + limit + " it accepts");
    }
}
