package io.agentlog.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.testkit.Prerequisites;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up cost of one execution per tier: a trivial program ({@code echo ok} or its equivalent), run
 * {@code agentlog.measure.runs} times (20) one after another; wall-clock time of {@code run(...)} as the worker sees
 * it. For GraalJS also the first execution, which starts the child JVM. Not part of the normal build: run with
 * {@code -Dagentlog.measure=true -Dtest=SandboxStartupMeasurement}; results in docs/sandbox.md.
 */
@EnabledIfSystemProperty(named = "agentlog.measure", matches = "true")
class SandboxStartupMeasurement {

    private static final Logger log = LoggerFactory.getLogger(SandboxStartupMeasurement.class);

    @Test
    void measure() {
        int runs = Integer.getInteger("agentlog.measure.runs", 20);
        try (BubblewrapSandbox bubblewrap = BubblewrapSandbox.create(SandboxLimits.defaults())) {
            Prerequisites.require("the bubblewrap sandbox", bubblewrap.unavailableReason());
            measure("bubblewrap bash", runs, () -> bubblewrap.run(Language.BASH, "echo ok", List.of(), timeout()));
            measure(
                    "bubblewrap python",
                    runs,
                    () -> bubblewrap.run(Language.PYTHON, "print('ok')", List.of(), timeout()));
            measure(
                    "bubblewrap node",
                    runs,
                    () -> bubblewrap.run(Language.NODE, "console.log('ok')", List.of(), timeout()));
        }
        try (BubblewrapSandbox confinement = BubblewrapSandbox.create(SandboxLimits.defaults());
                GraalJsSandbox graalJs = GraalJsSandbox.create(SandboxLimits.defaults(), confinement)) {
            long start = System.nanoTime();
            SandboxResult first = graalJs.run(Language.JAVASCRIPT, "console.log('ok')", List.of(), timeout());
            log.info("graaljs first execution (starts a child JVM): {} ms", (System.nanoTime() - start) / 1_000_000);
            assertThat(first.stdout()).isEqualTo("ok\n");
            measure(
                    "graaljs warm",
                    runs,
                    () -> graalJs.run(Language.JAVASCRIPT, "console.log('ok')", List.of(), timeout()));
        }
    }

    private static Duration timeout() {
        return Duration.ofSeconds(30);
    }

    private static void measure(String tier, int runs, java.util.function.Supplier<SandboxResult> execution) {
        execution.get(); // warm-up (page cache, JIT of this JVM)
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            SandboxResult result = execution.get();
            millis.add((System.nanoTime() - start) / 1e6);
            assertThat(result.stdout()).isEqualTo("ok\n");
        }
        Collections.sort(millis);
        log.info(
                "{}: n={} median {} ms, min {} ms, max {} ms",
                tier,
                runs,
                String.format("%.1f", millis.get(runs / 2)),
                String.format("%.1f", millis.get(0)),
                String.format("%.1f", millis.get(runs - 1)));
    }
}
