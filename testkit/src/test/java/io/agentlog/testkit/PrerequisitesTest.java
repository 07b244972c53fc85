package io.agentlog.testkit;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class PrerequisitesTest {

    @Test
    void shouldFailNamingTheSetupWhenAPrerequisiteIsMissingOnCi() {
        assertThatThrownBy(() -> Prerequisites.require("the bubblewrap sandbox", Optional.of("bwrap is missing"), true))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("CI=true")
                .hasMessageContaining("the bubblewrap sandbox is not usable here: bwrap is missing")
                .hasMessageContaining("scripts/setup.sh");
    }

    @Test
    void shouldSkipWithTheReasonWhenAPrerequisiteIsMissingOffCi() {
        assertThatThrownBy(
                        () -> Prerequisites.require("the bubblewrap sandbox", Optional.of("bwrap is missing"), false))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageStartingWith("the bubblewrap sandbox is not usable here: bwrap is missing (test skipped;");
    }

    @Test
    void shouldLetTheTestRunWhenNothingIsMissing() {
        assertThatCode(() -> Prerequisites.require("the bubblewrap sandbox", Optional.empty(), true))
                .doesNotThrowAnyException();
    }
}
