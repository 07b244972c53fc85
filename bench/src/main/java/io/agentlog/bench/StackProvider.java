package io.agentlog.bench;

/** Opens the stack each scenario runs on: a throwaway one of the scenario's shape, or a given running one. */
@FunctionalInterface
public interface StackProvider {

    /**
     * @param scenario the scenario's name, for directories and messages
     * @param spec the throwaway stack the scenario wants; a provider of a running stack ignores it
     */
    BenchTarget open(String scenario, StackSpec spec);

    /** Every scenario on the stack at {@code bootstrapServers}, which the benchmark neither starts nor stops. */
    static StackProvider running(String bootstrapServers) {
        return (scenario, spec) -> BenchTarget.remote(bootstrapServers);
    }
}
