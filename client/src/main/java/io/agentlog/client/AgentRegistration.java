package io.agentlog.client;

import java.time.Instant;
import java.util.Objects;

/**
 * What putting one agent definition did.
 *
 * @param key {@code name@version} on {@code agentlog.agents}
 * @param alreadyRegistered true when that key already held the same definition (apart from {@code createdAt}), so
 *     nothing was written
 * @param createdAt when the key was first registered (a repeated put never changes it)
 */
public record AgentRegistration(String key, boolean alreadyRegistered, Instant createdAt) {

    public AgentRegistration {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
