package io.agentlog.engine.session;

/**
 * What each agent spent on model calls per UTC day, summed by every engine from {@code agentlog.spend} (a global
 * store): what {@code limits.maxAgentCostMicrosPerDay} is checked against. It lags the calls by about a commit
 * interval, so calls already under way when the limit is reached may take the day's spend past it.
 */
@FunctionalInterface
public interface Spending {

    /** Micro-dollars the agent's sessions spent on {@code day} ({@code yyyy-MM-dd}, UTC), as far as known here. */
    long spentOn(String agent, String day);

    Spending NONE = (agent, day) -> 0;
}
