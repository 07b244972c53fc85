package io.agentlog.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code agentlog bench all} and the single scenarios: runs each scenario on the stack its {@link StackProvider}
 * opens for it (a fresh throwaway stack each, unless a running one is given), writes its {@link ScenarioReport} to
 * {@code <resultsRoot>/<date-time>/<scenario>.json} and a {@link SuiteSummary} to {@code summary.json} there. A
 * scenario that fails is reported as failed and the next one runs.
 */
public final class BenchSuite {

    private static final Logger log = LoggerFactory.getLogger(BenchSuite.class);

    /** Every scenario, in the order {@code all} runs them: the floors first, the heaviest last. */
    public static final List<String> SCENARIOS = List.of(
            FloorsScenario.NAME,
            LatencyScenario.NAME,
            ThroughputScenario.NAME,
            HistoryScenario.NAME,
            ParkedScenario.NAME,
            RecoveryScenario.NAME);

    public static final Path DEFAULT_RESULTS_ROOT = Path.of("bench", "results");
    public static final String SUMMARY_FILE = "summary.json";

    static final DateTimeFormatter DIR_NAME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss'Z'").withZone(ZoneOffset.UTC);

    /**
     * @param scenarios names from {@link #SCENARIOS}, run in this order
     * @param sizes how big each scenario is
     * @param quick whether {@code sizes} are the quick ones (reported with the results)
     * @param resultsRoot under which a directory per run is made
     * @param applicationId the engine's application id (which names its changelogs and its streams group)
     */
    public record Options(
            List<String> scenarios, SuiteSizes sizes, boolean quick, Path resultsRoot, String applicationId) {

        public Options {
            scenarios = List.copyOf(scenarios);
            if (scenarios.isEmpty()) {
                throw new IllegalArgumentException("name at least one scenario of " + SCENARIOS);
            }
            for (String scenario : scenarios) {
                if (!SCENARIOS.contains(scenario)) {
                    throw new IllegalArgumentException(
                            "no scenario is called '" + scenario + "'; the scenarios are " + SCENARIOS);
                }
            }
            if (scenarios.stream().distinct().count() != scenarios.size()) {
                throw new IllegalArgumentException("each scenario runs once, but " + scenarios + " repeats one");
            }
            Objects.requireNonNull(sizes, "sizes");
            Objects.requireNonNull(resultsRoot, "resultsRoot");
            if (applicationId == null || !applicationId.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException(
                        "application id must match [A-Za-z0-9._-]+, but was '" + applicationId + "'");
            }
        }
    }

    /** What a run wrote and found. */
    public record Run(Path dir, SuiteSummary summary, List<ScenarioReport> reports) {}

    private final StackProvider stacks;
    private final Consumer<String> progress;
    private final Clock clock;

    public BenchSuite(StackProvider stacks, Consumer<String> progress) {
        this(stacks, progress, Clock.systemUTC());
    }

    BenchSuite(StackProvider stacks, Consumer<String> progress, Clock clock) {
        this.stacks = stacks;
        this.progress = progress;
        this.clock = clock;
    }

    static Scenario scenario(String name) {
        return switch (name) {
            case FloorsScenario.NAME -> new FloorsScenario();
            case LatencyScenario.NAME -> new LatencyScenario();
            case ThroughputScenario.NAME -> new ThroughputScenario();
            case HistoryScenario.NAME -> new HistoryScenario();
            case ParkedScenario.NAME -> new ParkedScenario();
            case RecoveryScenario.NAME -> new RecoveryScenario();
            default ->
                throw new IllegalArgumentException(
                        "no scenario is called '" + name + "'; the scenarios are " + SCENARIOS);
        };
    }

    /** Runs the scenarios, writing each result as it is done. */
    public Run run(Options options) {
        Instant started = clock.instant();
        List<Double> loadBefore = ProcFs.loadAverage();
        Path dir = createRunDir(options.resultsRoot(), started);
        List<ScenarioReport> reports = new ArrayList<>();
        List<SuiteSummary.Entry> entries = new ArrayList<>();
        for (String name : options.scenarios()) {
            ScenarioReport report = runOne(scenario(name), options);
            String file = name + ".json";
            write(dir.resolve(file), Json.pretty(report));
            reports.add(report);
            entries.add(SuiteSummary.Entry.of(report, file));
            // the summary so far, so an interrupted run still has one
            write(dir.resolve(SUMMARY_FILE), Json.pretty(summary(options, started, dir, loadBefore, entries)));
        }
        SuiteSummary summary = summary(options, started, dir, loadBefore, entries);
        write(dir.resolve(SUMMARY_FILE), Json.pretty(summary));
        return new Run(dir, summary, reports);
    }

    private SuiteSummary summary(
            Options options, Instant started, Path dir, List<Double> loadBefore, List<SuiteSummary.Entry> entries) {
        return SuiteSummary.of(
                options.quick(),
                started.truncatedTo(ChronoUnit.SECONDS).toString(),
                secondsSince(started),
                dir.toString(),
                new ScenarioReport.LoadAverage(loadBefore, ProcFs.loadAverage()),
                entries);
    }

    ScenarioReport runOne(Scenario scenario, Options options) {
        Instant started = clock.instant();
        List<Double> loadBefore = ProcFs.loadAverage();
        progress.accept("== " + scenario.name() + (options.quick() ? " (quick)" : "") + " ==");
        String stack = null;
        try (BenchTarget target = stacks.open(scenario.name(), scenario.stack(options.sizes()))) {
            stack = target.description();
            ScenarioContext context = ScenarioContext.of(target, options.sizes(), progress, options.applicationId());
            Scenario.Result result = scenario.run(context);
            return report(scenario.name(), ScenarioReport.OK, null, options, started, stack, loadBefore, result);
        } catch (Scenario.NotApplicable e) {
            progress.accept(scenario.name() + " skipped: " + e.getMessage());
            return report(scenario.name(), ScenarioReport.SKIPPED, e, options, started, stack, loadBefore, null);
        } catch (RuntimeException e) {
            log.debug("Scenario {} failed", scenario.name(), e);
            progress.accept(scenario.name() + " failed: " + e.getMessage());
            return report(scenario.name(), ScenarioReport.FAILED, e, options, started, stack, loadBefore, null);
        }
    }

    /** The report of a scenario that ended with {@code status}: with its result, or with the exception that ended it. */
    private ScenarioReport report(
            String name,
            String status,
            Exception e,
            Options options,
            Instant started,
            String stack,
            List<Double> loadBefore,
            Scenario.Result result) {
        String error = e == null ? null : e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        return new ScenarioReport(
                name,
                status,
                error,
                options.quick(),
                started.truncatedTo(ChronoUnit.SECONDS).toString(),
                secondsSince(started),
                stack,
                new ScenarioReport.LoadAverage(loadBefore, ProcFs.loadAverage()),
                BenchResult.Machine.current(),
                result == null ? List.of() : result.targets(),
                result == null ? Map.of() : new LinkedHashMap<>(result.highlights()),
                result == null ? null : result.measured());
    }

    private double secondsSince(Instant started) {
        return (clock.millis() - started.toEpochMilli()) / 1000.0;
    }

    /** {@code <root>/<date-time>}, or with a {@code -2}, {@code -3} ... suffix when that exists already. */
    static Path createRunDir(Path root, Instant at) {
        String name = DIR_NAME.format(at);
        try {
            Files.createDirectories(root);
            for (int attempt = 1; ; attempt++) {
                Path dir = root.resolve(attempt == 1 ? name : name + "-" + attempt);
                try {
                    return Files.createDirectory(dir);
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // two runs in the same second: take the next suffix
                }
            }
        } catch (IOException e) {
            throw new BenchException(
                    "cannot create a results directory under " + root.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String json) {
        try {
            Files.writeString(file, json + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BenchException("cannot write " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }
}
