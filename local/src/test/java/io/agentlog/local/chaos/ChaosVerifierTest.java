package io.agentlog.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.local.chaos.ChaosVerifier.CommittedResult;
import io.agentlog.worker.WorkContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChaosVerifierTest {

    private static LedgerModelProvider.Line run(String work, int delivery, String checked) {
        return LedgerModelProvider.Line.parse("s-1 " + work + " 0 " + delivery + " 4242 1700000000000 " + checked);
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
                "s-1 w0", List.of(new CommittedResult(2, 3, 1)),
                "s-1 w1", List.of(new CommittedResult(2, 8, 2)),
                "s-1 w2", List.of(new CommittedResult(2, 10, 1), new CommittedResult(2, 13, 2)),
                "s-1 w3", List.of(new CommittedResult(2, 15, 1)),
                "s-1 w4", List.of(new CommittedResult(2, 16, 1)));

        // When
        ChaosVerifier.ModelCallCounts counts = ChaosVerifier.modelCalls(ledger, committed);

        // Then
        assertThat(counts).isEqualTo(new ChaosVerifier.ModelCallCounts(9, 4, 2, 1, 1));
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
