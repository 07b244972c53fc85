package io.agentlog.testkit;

import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (bubblewrap and the interpreters of the sandbox, for example) and what happens
 * when it is missing. On a developer's machine the test is skipped, saying what is missing and how to install it. On
 * CI ({@code CI=true}, which {@code .ci/run} sets) it fails: {@code .ci/run} installs every prerequisite, so a test
 * that cannot run there is a broken build, never a green skip. Only for prerequisites that {@code scripts/setup.sh}
 * installs; a property of the host (like a writable memory cgroup) is a plain assumption.
 */
public final class Prerequisites {

    /** The variable CI systems (and {@code .ci/run}) set to {@code true}. */
    public static final String CI = "CI";

    private Prerequisites() {}

    /** True when running on CI ({@code CI=true}). */
    public static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv(CI));
    }

    /**
     * Returns when {@code missing} is empty; otherwise skips the calling test, or fails it on CI.
     *
     * @param what the prerequisite, e.g. "the bubblewrap sandbox"
     * @param missing why it cannot be used here, e.g. the sandbox's own reason
     */
    public static void require(String what, Optional<String> missing) {
        require(what, missing, onCi());
    }

    static void require(String what, Optional<String> missing, boolean onCi) {
        if (missing.isEmpty()) {
            return;
        }
        String message = what + " is not usable here: " + missing.get();
        if (onCi) {
            Assertions.fail(CI + "=true, so this test must run, not skip: " + message
                    + ". Fix the CI machine: .ci/run installs the prerequisites with scripts/setup.sh");
        }
        Assumptions.abort(message + " (test skipped; scripts/setup.sh installs it, and on CI the test fails)");
    }
}
