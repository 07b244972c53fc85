package io.agentlog.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommitPacerTest {

    private final CommitPacer pacer = new CommitPacer();

    @Test
    void shouldCommitEveryRecordWhileNearlyIdle() {
        // records 20 ms apart: at most 3 in any 50 ms
        for (long now = 1_000; now < 3_000; now += 20) {
            assertThat(pacer.record(now)).as("record at %d", now).isTrue();
        }
    }

    @Test
    void shouldLeaveCommitsToTheIntervalOnceBusy() {
        // Given 8 records within 50 ms
        for (int i = 0; i < CommitPacer.BUSY_RECORDS; i++) {
            pacer.record(1_000 + i);
        }

        // Then the next ones in the same window ask for no commit
        assertThat(pacer.record(1_010)).isFalse();
        assertThat(pacer.record(1_020)).isFalse();
    }

    @Test
    void shouldCommitAgainOnceTheLoadIsGone() {
        for (int i = 0; i < 2 * CommitPacer.BUSY_RECORDS; i++) {
            pacer.record(1_000 + i);
        }

        assertThat(pacer.record(1_000 + CommitPacer.WINDOW_MS + 100)).isTrue();
    }
}
