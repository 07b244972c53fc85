package io.agentlog.cli;

import io.agentlog.bench.BenchException;
import io.agentlog.client.AgentlogException;
import io.agentlog.client.Durations;
import io.agentlog.testkit.BrokerStartException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/**
 * The {@code agentlog} command line. Usage errors exit with 2, failures with 1; user mistakes print one clear line
 * (no stack trace; set AGENTLOG_DEBUG=1 to see one).
 */
@Command(
        name = "agentlog",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "Durable AI agents on Apache Kafka.",
        subcommands = {
            DemoCommand.class,
            UpCommand.class,
            DownCommand.class,
            StatusCommand.class,
            TopicsCommand.class,
            AclsCommand.class,
            AgentsCommand.class,
            SubmitCommand.class,
            WatchCommand.class,
            HistoryCommand.class,
            SessionsCommand.class,
            ForkCommand.class,
            SessionControlCommands.Cancel.class,
            SessionControlCommands.Steer.class,
            SessionControlCommands.Approve.class,
            SessionControlCommands.Deny.class,
            SessionControlCommands.Answer.class,
            EngineCommand.class,
            WorkerCommand.class,
            BenchCommand.class,
            SandboxCommand.class,
            ChaosCommand.class,
            CommandLine.HelpCommand.class
        })
public final class AgentlogCli implements Runnable {

    /** Commands that run a server in the foreground and log what they do. */
    private static final Set<String> SERVER_COMMANDS = Set.of("engine", "worker");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is missing");
    }

    public static void main(String[] args) {
        configureLogging(args);
        int code = commandLine().execute(args);
        System.exit(code);
    }

    /** The configured command line; tests run it in-process. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new AgentlogCli());
        cli.registerConverter(Duration.class, Durations::parse);
        cli.setExecutionExceptionHandler(AgentlogCli::handleFailure);
        cli.setParameterExceptionHandler(AgentlogCli::handleUsageError);
        return cli;
    }

    private static int handleUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        PrintWriter err = cli.getErr();
        err.println("agentlog: " + e.getMessage());
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            err.println("Try '" + cli.getCommandSpec().qualifiedName() + " --help' for more information.");
        }
        err.flush();
        return CommandLine.ExitCode.USAGE;
    }

    private static int handleFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        boolean userMistake = e instanceof IllegalArgumentException;
        boolean known = userMistake
                || e instanceof AgentlogException
                || e instanceof BrokerStartException
                || e instanceof BenchException
                || e instanceof IllegalStateException
                || e instanceof UncheckedIOException
                || e instanceof IOException;
        err.println("agentlog: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        if (!known || System.getenv("AGENTLOG_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return userMistake ? CommandLine.ExitCode.USAGE : CommandLine.ExitCode.SOFTWARE;
    }

    /**
     * Sets the log levels that logback.xml reads, before anything logs: client commands show warnings only, the
     * server commands show what they do. AGENTLOG_LOG_LEVEL and AGENTLOG_KAFKA_LOG_LEVEL override.
     */
    static void configureLogging(String[] args) {
        boolean server = args.length > 0 && SERVER_COMMANDS.contains(args[0]);
        String level = System.getenv().getOrDefault("AGENTLOG_LOG_LEVEL", server ? "INFO" : "WARN");
        String kafkaLevel = System.getenv().getOrDefault("AGENTLOG_KAFKA_LOG_LEVEL", server ? "WARN" : "ERROR");
        System.setProperty("agentlog.log.level", level);
        System.setProperty("agentlog.kafka.log.level", kafkaLevel);
    }

    /** {@code --version}: the agentlog and Kafka versions, from the build. */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties props = new Properties();
            try (InputStream in = AgentlogCli.class.getResourceAsStream("/agentlog-version.properties")) {
                if (in != null) {
                    props.load(in);
                }
            } catch (IOException e) {
                // the version is informational
            }
            return List.of(
                            "agentlog " + props.getProperty("version", "(unknown version)"),
                            "Kafka " + props.getProperty("kafka", "(unknown)") + ", Java " + Runtime.version())
                    .toArray(String[]::new);
        }
    }
}
