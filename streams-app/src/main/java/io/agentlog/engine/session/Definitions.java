package io.agentlog.engine.session;

import io.agentlog.schemas.avro.AgentDefinition;
import java.util.Optional;

/** Agent definitions by {@code name@version} (the engine reads them from the global store of agentlog.agents). */
@FunctionalInterface
public interface Definitions {

    /** The given version, or the newest valid one when {@code version} is null. */
    Optional<AgentDefinition> find(String name, Integer version);
}
