package io.agentlog.engine.session;

import io.agentlog.schemas.avro.SessionEvent;

/**
 * Failure injection for tests of the all-or-nothing step: called before each event is folded and before a step's
 * outcome is written. The engine runs with {@link #NONE}.
 */
public interface StepFaults {

    StepFaults NONE = new StepFaults() {};

    default void beforeEvent(String sessionId, SessionEvent event) {}

    default void beforeApply(String sessionId) {}
}
