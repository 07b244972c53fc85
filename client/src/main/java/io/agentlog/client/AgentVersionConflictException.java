package io.agentlog.client;

import java.util.List;

/**
 * An agent definition was put under a {@code name@version} that is already registered with other content. A registered
 * version never changes (sessions are pinned to it), so the definition needs a new version. A user mistake: the
 * message says which key, what differs and which version to use.
 */
public final class AgentVersionConflictException extends IllegalArgumentException {

    private final String key;
    private final List<String> differingFields;

    AgentVersionConflictException(String key, List<String> differingFields, int nextVersion) {
        super("agent " + key + " is already registered with different content (" + String.join(", ", differingFields)
                + "); a registered version never changes: set version: " + nextVersion + " and put it again");
        this.key = key;
        this.differingFields = List.copyOf(differingFields);
    }

    /** The {@code name@version} that is taken. */
    public String key() {
        return key;
    }

    /** The fields of the definition that differ from the registered one. */
    public List<String> differingFields() {
        return differingFields;
    }
}
