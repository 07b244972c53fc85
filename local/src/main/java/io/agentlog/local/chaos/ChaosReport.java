package io.agentlog.local.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * What a chaos run found; {@link #broken()} names every guarantee it saw violated (empty = all held).
 *
 * @param modelCalls model call executions in the model ledger
 * @param repeatedModelCalls executions beyond the first of their work item (each is one of the next three)
 * @param repeatedCompletedModelCalls executions of a work item whose result from an earlier delivery was already
 *     committed below the {@code agentlog.work.results} offset the execution checked (or that ran without checking
 *     although an earlier execution's result existed, e.g. a redelivery after a broker kill that came back as delivery
 *     1 unrecognised): a completed call paid twice (guarantee 3 broken; must be 0)
 * @param modelCallsRerunAfterWorkerLoss re-executions whose earlier deliveries never committed a result: the calls in
 *     flight on a killed worker
 * @param modelCallsRerunWhileEarlierDeliveryRan re-executions that checked before an earlier delivery committed its
 *     result: the earlier worker was still on the call when the item came back (it lost its lock)
 * @param modelTurnsRequestedTwice turns with two {@code ModelRequested} events in the journal
 * @param atMostOnceExtraExecutions ledger lines beyond the first per idempotency key (guarantee 4 broken)
 * @param atMostOnceClaimsLost first deliveries of at-most-once calls that found an earlier delivery's claim before
 *     their own and did not run the tool (items handed back as delivery 1 after their share-partition leader died)
 * @param outcomeUnknown at-most-once calls answered OUTCOME_UNKNOWN because their item was redelivered
 */
public record ChaosReport(
        long seed,
        int sessions,
        int completed,
        int failed,
        int lost,
        int duplicateResults,
        int unexpectedResults,
        int eventGaps,
        int duplicateEvents,
        int sessionsWithoutOneEnd,
        int modelCalls,
        int repeatedModelCalls,
        int repeatedCompletedModelCalls,
        int modelCallsRerunAfterWorkerLoss,
        int modelCallsRerunWhileEarlierDeliveryRan,
        int modelTurnsRequestedTwice,
        int atMostOnceExecutions,
        int atMostOnceExtraExecutions,
        int atMostOnceClaimsLost,
        int outcomeUnknown,
        int dlqRecords,
        List<KillRecord> kills,
        OptionalLong recoveryMsP50,
        OptionalLong recoveryMsMax,
        long maxRecoveryMs,
        long durationMs,
        List<String> failures) {

    /** The guarantees (numbered as in docs/guarantees.md) this run saw broken. */
    public List<String> broken() {
        List<String> broken = new ArrayList<>();
        if (lost > 0) {
            broken.add("1: " + lost + " session(s) without a terminal result");
        }
        if (duplicateResults > 0 || unexpectedResults > 0) {
            broken.add("2: " + duplicateResults + " duplicate result(s), " + unexpectedResults
                    + " result(s) for sessions never submitted");
        }
        if (eventGaps > 0 || duplicateEvents > 0 || sessionsWithoutOneEnd > 0) {
            broken.add("2: " + eventGaps + " event gap(s), " + duplicateEvents + " duplicate event(s), "
                    + sessionsWithoutOneEnd + " session(s) whose journal does not end exactly once");
        }
        if (repeatedCompletedModelCalls > 0 || modelTurnsRequestedTwice > 0) {
            broken.add("3: " + repeatedCompletedModelCalls + " completed model call(s) run again, "
                    + modelTurnsRequestedTwice + " turn(s) requested twice");
        }
        if (atMostOnceExtraExecutions > 0) {
            broken.add("4: " + atMostOnceExtraExecutions + " at-most-once execution(s) beyond one per key");
        }
        boolean unrecovered = kills.stream()
                .anyMatch(k -> k.recoveryMs().isPresent() && k.recoveryMs().getAsLong() > maxRecoveryMs);
        if (unrecovered) {
            broken.add("6: recovery after a kill took longer than " + maxRecoveryMs + " ms");
        }
        return broken;
    }

    public boolean ok() {
        return broken().isEmpty();
    }

    /** One JSON object. */
    public String toJson() {
        StringBuilder json = new StringBuilder("{");
        field(json, "ok", ok());
        field(json, "seed", seed);
        field(json, "sessions", sessions);
        field(json, "completed", completed);
        field(json, "failed", failed);
        field(json, "lost", lost);
        field(json, "duplicateResults", duplicateResults);
        field(json, "unexpectedResults", unexpectedResults);
        field(json, "eventGaps", eventGaps);
        field(json, "duplicateEvents", duplicateEvents);
        field(json, "sessionsWithoutOneEnd", sessionsWithoutOneEnd);
        field(json, "modelCalls", modelCalls);
        field(json, "repeatedModelCalls", repeatedModelCalls);
        field(json, "repeatedCompletedModelCalls", repeatedCompletedModelCalls);
        field(json, "modelCallsRerunAfterWorkerLoss", modelCallsRerunAfterWorkerLoss);
        field(json, "modelCallsRerunWhileEarlierDeliveryRan", modelCallsRerunWhileEarlierDeliveryRan);
        field(json, "modelTurnsRequestedTwice", modelTurnsRequestedTwice);
        field(json, "atMostOnceExecutions", atMostOnceExecutions);
        field(json, "atMostOnceExtraExecutions", atMostOnceExtraExecutions);
        field(json, "atMostOnceClaimsLost", atMostOnceClaimsLost);
        field(json, "outcomeUnknown", outcomeUnknown);
        field(json, "dlqRecords", dlqRecords);
        field(json, "killCount", kills.size());
        for (ChaosStack.Kind kind : ChaosStack.Kind.values()) {
            field(
                    json,
                    kind.label() + "Kills",
                    kills.stream().filter(k -> k.kind() == kind).count());
        }
        json.append("\"recoveryMsP50\":").append(number(recoveryMsP50)).append(',');
        json.append("\"recoveryMsMax\":").append(number(recoveryMsMax)).append(',');
        field(json, "durationMs", durationMs);
        json.append("\"kills\":[");
        for (int i = 0; i < kills.size(); i++) {
            KillRecord k = kills.get(i);
            json.append(i == 0 ? "" : ",")
                    .append("{\"target\":")
                    .append(string(k.target()))
                    .append(",\"kind\":")
                    .append(string(k.kind().label()))
                    .append(",\"pid\":")
                    .append(k.pid())
                    .append(",\"atMs\":")
                    .append(k.atMs())
                    .append(",\"recoveryMs\":")
                    .append(number(k.recoveryMs()))
                    .append(",\"inProgress\":")
                    .append(k.inProgress())
                    .append(",\"slowestSession\":")
                    .append(string(k.slowest()))
                    .append('}');
        }
        json.append("],\"failures\":[");
        for (int i = 0; i < failures.size(); i++) {
            json.append(i == 0 ? "" : ",").append(string(failures.get(i)));
        }
        json.append("],\"broken\":[");
        List<String> broken = broken();
        for (int i = 0; i < broken.size(); i++) {
            json.append(i == 0 ? "" : ",").append(string(broken.get(i)));
        }
        return json.append("]}").toString();
    }

    private static void field(StringBuilder json, String name, Object value) {
        json.append(string(name)).append(':').append(value).append(',');
    }

    private static String number(OptionalLong value) {
        return value.isPresent() ? String.valueOf(value.getAsLong()) : "null";
    }

    static String string(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
