package io.agentlog.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentRegistration;
import io.agentlog.client.AgentlogClient;
import io.agentlog.client.AvroJson;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ToolSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "agents",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Registers, lists and shows agent definitions (topic agentlog.agents).",
        subcommands = {
            AgentsCommand.Put.class,
            AgentsCommand.ListAgents.class,
            AgentsCommand.Show.class,
            CommandLine.HelpCommand.class
        })
final class AgentsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "a subcommand is missing: try 'agentlog agents put FILE', 'agentlog agents list' or"
                        + " 'agentlog agents show NAME'");
    }

    @Command(
            name = "put",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = {
                "Checks agent definition files (YAML or JSON) and registers them. A running engine picks them up at"
                        + " once; sessions already running keep the version they started with.",
                "",
                "A registered name@version never changes: putting the same definition again does nothing (and says"
                        + " so); putting different content under a registered name@version is refused (exit 2) and"
                        + " nothing is registered: raise its version."
            })
    static final class Put implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "Agent definition files.")
        List<Path> files = new ArrayList<>();

        @Override
        public Integer call() {
            // all files are checked (and compared with the registered versions) before any is registered
            List<AgentDefinition> definitions =
                    files.stream().map(AgentDefinitions::load).toList();
            PrintWriter out = spec.commandLine().getOut();
            try (AgentlogClient client = bootstrap.client()) {
                List<AgentRegistration> registrations = client.putAgents(definitions);
                for (int i = 0; i < definitions.size(); i++) {
                    AgentDefinition definition = definitions.get(i);
                    AgentRegistration registration = registrations.get(i);
                    if (registration.alreadyRegistered()) {
                        out.printf(
                                "Agent %s is already registered with this content (since %s); nothing to do%n",
                                registration.key(), registration.createdAt());
                        continue;
                    }
                    out.printf(
                            "Registered agent %s (%s model%s, tools: %s)%n",
                            registration.key(),
                            definition.getModel().getProvider(),
                            definition.getModel().getName().isEmpty()
                                    ? ""
                                    : " " + definition.getModel().getName(),
                            toolNames(definition));
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Lists the registered agent definitions (every version), read from agentlog.agents.")
    static final class ListAgents implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

        @Option(names = "--json", description = "One JSON definition per line instead of a table.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (AgentlogClient client = bootstrap.client()) {
                List<AgentDefinition> agents = client.agents();
                if (json) {
                    agents.forEach(a -> out.println(AvroJson.toJson(a)));
                } else if (agents.isEmpty()) {
                    out.println("No agents registered on " + bootstrap.value()
                            + "; register one with `agentlog agents put FILE`");
                } else {
                    String format = "%-24s %-7s %-22s %-36s %s%n";
                    out.printf(format, "NAME", "VERSION", "MODEL", "TOOLS", "DESCRIPTION");
                    for (AgentDefinition a : agents) {
                        String model = a.getModel().getProvider()
                                + (a.getModel().getName().isEmpty()
                                        ? ""
                                        : "/" + a.getModel().getName());
                        out.printf(
                                format,
                                a.getName(),
                                a.getVersion(),
                                model,
                                toolNames(a),
                                EventLines.abbreviate(a.getDescription()));
                    }
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Prints one registered agent definition, as YAML (or JSON), every field included: the newest"
                    + " version of NAME, or NAME@VERSION.")
    static final class Show implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

        @Parameters(paramLabel = "NAME[@VERSION]", description = "The agent, and optionally its version.")
        String agent;

        @Option(names = "--json", description = "JSON instead of YAML.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            int at = agent.lastIndexOf('@');
            String name = at < 0 ? agent : agent.substring(0, at);
            Integer version = at < 0 ? null : version(agent.substring(at + 1));
            List<AgentDefinition> versions;
            try (AgentlogClient client = bootstrap.client()) {
                versions = client.agents().stream()
                        .filter(a -> a.getName().equals(name))
                        .toList();
            }
            if (versions.isEmpty()) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "no agent '" + name + "' is registered on " + bootstrap.value()
                                + "; `agentlog agents list` shows those that are");
            }
            AgentDefinition shown = version == null
                    ? versions.getLast()
                    : versions.stream()
                            .filter(a -> a.getVersion() == version)
                            .findFirst()
                            .orElseThrow(() -> new CommandLine.ParameterException(
                                    spec.commandLine(),
                                    "agent '" + name + "' has no version " + version + "; its versions are "
                                            + versions.stream()
                                                    .map(a -> Integer.toString(a.getVersion()))
                                                    .collect(Collectors.joining(", "))));
            PrintWriter out = spec.commandLine().getOut();
            out.print(
                    json
                            ? AvroJson.toPrettyJson(shown) + System.lineSeparator()
                            : YAML.writeValueAsString(AvroJson.toTree(shown)));
            out.flush();
            return 0;
        }

        private Integer version(String text) {
            try {
                int version = Integer.parseInt(text);
                if (version >= 1) {
                    return version;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "'" + text + "' is no version: give NAME@VERSION with a whole number from 1");
        }
    }

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build();

    static String toolNames(AgentDefinition definition) {
        return definition.getTools().isEmpty()
                ? "none"
                : definition.getTools().stream().map(ToolSpec::getName).collect(Collectors.joining(","));
    }
}
