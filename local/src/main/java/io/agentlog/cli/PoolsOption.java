package io.agentlog.cli;

import io.agentlog.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --pools model,tools,sandbox}: worker pools, checked against the pool name rules. */
public final class PoolsOption {

    @Option(
            names = "--pools",
            split = ",",
            paramLabel = "POOL",
            defaultValue = "${env:AGENTLOG_POOLS:-" + Topics.DEFAULT_POOLS_TEXT + "}",
            description =
                    "Worker pools, comma-separated (default: $AGENTLOG_POOLS, else " + Topics.DEFAULT_POOLS_TEXT + ").")
    List<String> pools = new ArrayList<>();

    public List<String> value() {
        List<String> cleaned = pools.stream()
                .map(String::strip)
                .filter(p -> !p.isEmpty())
                .distinct()
                .toList();
        if (cleaned.isEmpty()) {
            throw new IllegalArgumentException("--pools must name at least one pool, e.g. --pools model,tools");
        }
        cleaned.forEach(Topics::validPool);
        return cleaned;
    }
}
