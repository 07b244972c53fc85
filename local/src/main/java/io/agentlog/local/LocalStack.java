package io.agentlog.local;

import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentRegistration;
import io.agentlog.client.AgentVersionConflictException;
import io.agentlog.client.AgentlogClient;
import io.agentlog.engine.http.HttpApiConfig;
import io.agentlog.schemas.TopicSetup;
import io.agentlog.testkit.BrokerOptions;
import io.agentlog.testkit.ChildJvm;
import io.agentlog.testkit.KafkaBroker;
import io.agentlog.worker.WorkerMetricsConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The kept-running local stack: a broker, the engine and a worker as detached processes that outlive the command
 * that started them, tracked by pid files under {@link StackLayout#home()}.
 */
public final class LocalStack {

    /** How long a freshly started engine or worker must stay alive before {@code up} calls it started. */
    private static final Duration SETTLE = Duration.ofSeconds(2);

    private final StackLayout layout;

    public LocalStack(StackLayout layout) {
        this.layout = layout;
    }

    public StackLayout layout() {
        return layout;
    }

    /** What runs now. */
    public Status status() {
        Map<Component, Optional<ProcessHandle>> processes = new EnumMap<>(Component.class);
        for (Component component : Component.values()) {
            processes.put(component, layout.pidFile(component).liveProcess());
        }
        Properties stack = readStackProperties();
        return new Status(
                processes,
                Optional.ofNullable(stack.getProperty("bootstrap.servers")),
                Arrays.stream(stack.getProperty("pools", "").split(","))
                        .filter(p -> !p.isBlank())
                        .toList());
    }

    public record Status(
            Map<Component, Optional<ProcessHandle>> processes, Optional<String> bootstrapServers, List<String> pools) {

        public boolean allRunning() {
            return processes.values().stream().allMatch(Optional::isPresent);
        }

        public boolean noneRunning() {
            return processes.values().stream().noneMatch(Optional::isPresent);
        }
    }

    /**
     * Starts what is not running. Returns false (and starts nothing) when everything already runs.
     *
     * @param demoAgent a definition to register once the topics exist (the demo agent), or none
     */
    public boolean up(UpOptions options, Optional<String> demoAgent, PrintWriter out) {
        Status status = status();
        if (status.allRunning()) {
            return false;
        }
        String bootstrap = status.processes().get(Component.BROKER).isPresent()
                ? status.bootstrapServers().orElse(KafkaBroker.HOST + ":" + options.port())
                : startBroker(options, out);
        writeStackProperties(bootstrap, options.pools());

        List<String> created = TopicSetup.createAll(bootstrap, options.pools(), (short) 1, Duration.ofSeconds(30));
        if (!created.isEmpty()) {
            out.printf("Created %d topics%n", created.size());
        }
        demoAgent.ifPresent(text -> {
            try (AgentlogClient client = new AgentlogClient(bootstrap)) {
                AgentRegistration demo = client.putAgent(AgentDefinitions.parse(text, "demo-agent.yaml"));
                out.printf(demo.alreadyRegistered() ? "Agent %s is registered%n" : "Registered agent %s%n", demo.key());
            } catch (AgentVersionConflictException e) {
                // a stack kept from an older agentlog: its demo agent stays as registered, the stack still starts
                out.printf("Kept the registered demo agent: %s%n", e.getMessage());
            }
        });

        List<Started> started = new ArrayList<>();
        if (status.processes().get(Component.ENGINE).isEmpty()) {
            Process engine = Components.startEngine(
                    bootstrap,
                    layout.engineStateDir(),
                    layout.logFile(Component.ENGINE),
                    true,
                    with(options.tracingEnv(), HttpApiConfig.PORT_ENV, String.valueOf(options.httpPort())));
            started.add(new Started(Component.ENGINE, engine));
        }
        if (status.processes().get(Component.WORKER).isEmpty()) {
            Process worker = Components.startWorker(
                    bootstrap,
                    options.pools(),
                    layout.logFile(Component.WORKER),
                    true,
                    with(options.tracingEnv(), WorkerMetricsConfig.PORT_ENV, options.workerMetricsPort()));
            started.add(new Started(Component.WORKER, worker));
        }
        for (Started s : started) {
            layout.pidFile(s.component()).write(s.process().toHandle());
        }
        for (Started s : started) {
            awaitSettled(s);
            out.printf(
                    "Started %s (pid %d), log %s%n",
                    s.component().id(), s.process().pid(), layout.logFile(s.component()));
        }
        return true;
    }

    /**
     * @param port the broker's client port
     * @param controllerPort the broker's KRaft controller port
     * @param pools the worker's pools
     * @param httpPort the engine's HTTP API port
     * @param workerMetricsPort the port of the worker's Prometheus metrics, or {@code off}
     * @param tracingEnv {@code OTEL_*} settings for the engine and the worker (their own environment's apply too)
     */
    public record UpOptions(
            int port,
            int controllerPort,
            List<String> pools,
            int httpPort,
            String workerMetricsPort,
            Map<String, String> tracingEnv) {

        public UpOptions {
            tracingEnv = Map.copyOf(tracingEnv);
        }
    }

    private static Map<String, String> with(Map<String, String> env, String name, String value) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put(name, value);
        return all;
    }

    private record Started(Component component, Process process) {}

    private String startBroker(UpOptions options, PrintWriter out) {
        for (int port : new int[] {options.port(), options.controllerPort()}) {
            if (listening(port)) {
                throw new IllegalStateException("port " + port + " on " + KafkaBroker.HOST + " is in use by a process "
                        + "agentlog did not start (another Kafka?): stop it, or choose other ports with --port and "
                        + "--controller-port");
            }
        }
        KafkaBroker broker = KafkaBroker.start(BrokerOptions.builder(layout.brokerDir())
                .port(options.port())
                .controllerPort(options.controllerPort())
                .detached(true)
                .build());
        layout.pidFile(Component.BROKER).write(ProcessHandle.of(broker.pid()).orElseThrow());
        out.printf(
                "Started broker (pid %d) on %s, log %s%n", broker.pid(), broker.bootstrapServers(), broker.logFile());
        return broker.bootstrapServers();
    }

    /** Waits a moment: a process that fails on its configuration exits at once, and we say why. */
    private void awaitSettled(Started started) {
        try {
            if (started.process().waitFor(SETTLE.toMillis(), TimeUnit.MILLISECONDS)) {
                layout.pidFile(started.component()).delete();
                throw new IllegalStateException("the " + started.component().id() + " exited with code "
                        + started.process().exitValue() + " right after starting; the end of "
                        + layout.logFile(started.component()) + ":\n" + tail(layout.logFile(started.component()), 30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops what runs: the worker and the engine together, then the broker (which they need to stop cleanly).
     * Returns a line per process stopped.
     */
    public List<String> down(Duration grace) {
        List<String> lines = new ArrayList<>();
        for (List<Component> phase : List.of(List.of(Component.WORKER, Component.ENGINE), List.of(Component.BROKER))) {
            Instant start = Instant.now();
            Map<Component, ProcessHandle> live = new EnumMap<>(Component.class);
            for (Component component : phase) {
                layout.pidFile(component).liveProcess().ifPresent(process -> {
                    process.destroy();
                    live.put(component, process);
                });
            }
            live.forEach((component, process) -> {
                boolean graceful = ChildJvm.stop(process, grace);
                long ms = Duration.between(start, Instant.now()).toMillis();
                lines.add(
                        graceful
                                ? String.format(
                                        "Stopped %s (pid %d) in %.1f s", component.id(), process.pid(), ms / 1000.0)
                                : String.format(
                                        "Killed %s (pid %d): it did not stop within %d s of SIGTERM",
                                        component.id(), process.pid(), grace.toSeconds()));
            });
            phase.forEach(component -> layout.pidFile(component).delete());
        }
        return lines;
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(KafkaBroker.HOST, port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Properties readStackProperties() {
        Properties props = new Properties();
        Path file = layout.stackProperties();
        if (Files.exists(file)) {
            try {
                props.load(new StringReader(Files.readString(file)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return props;
    }

    private void writeStackProperties(String bootstrap, List<String> pools) {
        try {
            Files.createDirectories(layout.home());
            Files.writeString(
                    layout.stackProperties(),
                    "bootstrap.servers=" + bootstrap + "\npools=" + String.join(",", pools) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + layout.stackProperties() + ": " + e.getMessage(), e);
        }
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
