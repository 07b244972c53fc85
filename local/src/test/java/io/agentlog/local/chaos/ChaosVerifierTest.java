package io.agentlog.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.local.chaos.ChaosVerifier.CommittedResult;
import io.agentlog.worker.WorkContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChaosVerifierTest {

    private static final long T = 1_700_000_000_000L;

    private static LedgerModelProvider.Line run(String work, int delivery, String checked) {
        return run(work, delivery, T, checked);
    }

    private static LedgerModelProvider.Line run(String work, int delivery, long startMs, String checked) {
        return LedgerModelProvider.Line.parse("s-1 " + work + " 0 " + delivery + " 4242 " + startMs + " " + checked);
    }

    /** A result written after every execution in these tests began. */
    private static CommittedResult result(long offset, int delivery) {
        return new CommittedResult(2, offset, delivery, T + 60_000);
    }

    @Test
    void shouldTellRepeatedCompletedCallsFromRerunsByOffsetsWhenClassifyingTheModelLedger() {
        // Given executions of five work items, and the results committed on agentlog.work.results (partition 2)
        List<LedgerModelProvider.Line> ledger = List.of(
                run("w0", 1, "-"), // ran once
                run("w1", 1, "-"), // its worker died mid-call: no result
                run("w1", 2, "2:5"),
                run("w2", 1, "-"), // answered at offset 10, yet run again after a lookup that read to 11
                run("w2", 2, "2:11"),
                run("w3", 1, "-"), // answered at offset 15, after the redelivery's lookup read to 12
                run("w3", 2, "2:12"),
                run("w4", 1, "-"), // answered, and run again without a lookup
                run("w4", 2, "-"));
        Map<String, List<CommittedResult>> committed = Map.of(
                "s-1 w0", List.of(result(3, 1)),
                "s-1 w1", List.of(result(8, 2)),
                "s-1 w2", List.of(result(10, 1), result(13, 2)),
                "s-1 w3", List.of(result(15, 1)),
                "s-1 w4", List.of(result(16, 1)));

        // When
        ChaosVerifier.ModelCallCounts counts = ChaosVerifier.modelCalls(ledger, committed);

        // Then
        assertThat(counts).isEqualTo(new ChaosVerifier.ModelCallCounts(9, 4, 2, 1, 1));
    }

    @Test
    void shouldCountARepeatedCompletedCallWhenARedeliveryCameBackAsDeliveryOne() {
        // Given executions that all came as delivery 1 (items handed back after their share-partition leader died)
        List<LedgerModelProvider.Line> ledger = List.of(
                run("w5", 1, T, "-"), // answered at T+200, then run again at T+5000 without a lookup
                run("w5", 1, T + 5_000, "-"),
                run("w6", 1, T, "-"), // answered at offset 25, run again after a lookup that read to 30
                run("w6", 1, T + 5_000, "2:30"),
                run("w7", 1, T, "-"), // died mid-call: the only result is the second execution's
                run("w7", 1, T + 5_000, "2:30"));
        Map<String, List<CommittedResult>> committed = Map.of(
                "s-1 w5", List.of(new CommittedResult(2, 20, 1, T + 200)),
                "s-1 w6", List.of(new CommittedResult(2, 25, 1, T + 200)),
                "s-1 w7", List.of(new CommittedResult(2, 31, 1, T + 5_100)));

        // When
        ChaosVerifier.ModelCallCounts counts = ChaosVerifier.modelCalls(ledger, committed);

        // Then
        assertThat(counts).isEqualTo(new ChaosVerifier.ModelCallCounts(6, 3, 2, 1, 0));
    }

    @Test
    void shouldReadBackWhatItWritesWhenALedgerLineCarriesACheck() {
        var line = new LedgerModelProvider.Line(
                "s-9", "w3", 2, 3, 77, 1700000000123L, Optional.of(new WorkContext.ResultCheck(4, 1234)));

        assertThat(line.format()).isEqualTo("s-9 w3 2 3 77 1700000000123 4:1234");
        assertThat(LedgerModelProvider.Line.parse(line.format())).isEqualTo(line);
        assertThat(LedgerModelProvider.Line.parse("s-9 w3 2 1 77 5 -").checked())
                .isEmpty();
    }
}
