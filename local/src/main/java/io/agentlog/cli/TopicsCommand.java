package io.agentlog.cli;

import io.agentlog.schemas.TopicSetup;
import io.agentlog.schemas.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "topics",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Manages agentlog's topics.",
        subcommands = {TopicsCommand.Create.class, CommandLine.HelpCommand.class})
final class TopicsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "a subcommand is missing: try 'agentlog topics create'");
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = "Creates every topic agentlog needs (with one work topic per worker pool) and waits until "
                    + "each partition has a leader. Existing topics are left as they are.")
    static final class Create implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions bootstrap;

        @Mixin
        PoolsOption pools;

        @Option(
                names = "--replication-factor",
                defaultValue = "1",
                paramLabel = "N",
                description = "Replication factor of new topics (default: ${DEFAULT-VALUE}; use 3 in production).")
        short replicationFactor;

        @Option(
                names = "--timeout",
                defaultValue = "60s",
                paramLabel = "DURATION",
                description = "How long to wait for the topics and their leaders (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() {
            if (replicationFactor < 1) {
                throw new IllegalArgumentException(
                        "--replication-factor must be 1 or more, but was " + replicationFactor);
            }
            List<String> poolNames = pools.value();
            List<String> created;
            try (Admin admin = Admin.create(bootstrap.adminProperties())) {
                created = TopicSetup.createAll(admin, poolNames, replicationFactor, timeout);
            }
            PrintWriter out = spec.commandLine().getOut();
            int total = Topics.all(poolNames).size();
            if (created.isEmpty()) {
                out.printf("All %d topics exist on %s%n", total, bootstrap.value());
            } else {
                out.printf(
                        "Created %d of %d topics on %s: %s%n",
                        created.size(),
                        total,
                        bootstrap.value(),
                        String.join(", ", created.stream().sorted().toList()));
            }
            out.flush();
            return 0;
        }
    }
}
