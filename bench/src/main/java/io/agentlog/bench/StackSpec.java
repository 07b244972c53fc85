package io.agentlog.bench;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The throwaway stack a scenario wants: a broker (with a loopback JMX connector, for its request counts), the topics
 * of the default worker pools plus {@code topicOnlyPools} (work topics no worker serves), {@code engines} engines of
 * one application with {@code engineEnv} and a JMX connector each, and one worker serving the default pools.
 *
 * @param engines engine processes, 1 or more (several share one application id)
 * @param engineEnv further {@code AGENTLOG_*} settings of every engine
 * @param engineHeap the engines' maximum heap ({@code -Xmx}), e.g. {@code 512m}
 * @param topicOnlyPools pools that get a work topic but no worker
 */
public record StackSpec(int engines, Map<String, String> engineEnv, String engineHeap, List<String> topicOnlyPools) {

    /** The engine's heap in {@code agentlog up} and the other throwaway stacks. */
    public static final String DEFAULT_ENGINE_HEAP = "512m";

    public StackSpec {
        if (engines < 1) {
            throw new IllegalArgumentException("a stack needs at least 1 engine, but was " + engines);
        }
        engineEnv = Map.copyOf(engineEnv);
        Objects.requireNonNull(engineHeap, "engineHeap");
        if (!engineHeap.matches("[0-9]+[kKmMgG]?")) {
            throw new IllegalArgumentException("engine heap must look like 512m or 2g, but was '" + engineHeap + "'");
        }
        topicOnlyPools = List.copyOf(topicOnlyPools);
    }

    /** A broker, one engine, one worker: the shape of {@code agentlog up}. */
    public static StackSpec standard() {
        return new StackSpec(1, Map.of(), DEFAULT_ENGINE_HEAP, List.of());
    }

    /** The standard stack plus the {@link HoldAgent#POOL} work topic, which no worker serves. */
    public static StackSpec withHoldPool() {
        return new StackSpec(1, Map.of(), DEFAULT_ENGINE_HEAP, List.of(HoldAgent.POOL));
    }
}
