package io.agentlog.client;

import java.util.List;

/** An agent definition file is invalid. The message names the file and every problem found, each quoting the value. */
public final class AgentDefinitionException extends IllegalArgumentException {

    private final String source;
    private final List<String> problems;

    public AgentDefinitionException(String source, List<String> problems) {
        super(format(source, problems));
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    private static String format(String source, List<String> problems) {
        if (problems.size() == 1) {
            return source + ": " + problems.get(0);
        }
        StringBuilder text =
                new StringBuilder(source).append(": ").append(problems.size()).append(" problems:");
        problems.forEach(problem -> text.append("\n  - ").append(problem));
        return text.toString();
    }

    /** The file (or other source) that was read. */
    public String source() {
        return source;
    }

    /** Each problem on its own. */
    public List<String> problems() {
        return problems;
    }
}
