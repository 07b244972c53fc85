package io.agentlog.local.chaos;

import java.util.OptionalLong;

/**
 * One SIGKILL of the run.
 *
 * @param target the slot killed, e.g. {@code engine-2} or {@code broker-3}
 * @param kind what was killed: an engine, a worker or a broker of the cluster
 * @param pid the process killed
 * @param atMs when (epoch ms)
 * @param recoveryMs from the kill until every session that was in progress at that moment recorded a new event;
 *     empty when no session was in progress
 * @param inProgress how many sessions were in progress at the kill
 * @param slowest the session that took longest to move again (for a look at its journal and the logs), or empty
 */
record KillRecord(
        String target,
        ChaosStack.Kind kind,
        long pid,
        long atMs,
        OptionalLong recoveryMs,
        int inProgress,
        String slowest) {

    static KillRecord of(String target, ChaosStack.Kind kind, long pid, long atMs) {
        return new KillRecord(target, kind, pid, atMs, OptionalLong.empty(), 0, "");
    }

    /** A worker was killed (its model calls in flight may run again). */
    boolean worker() {
        return kind == ChaosStack.Kind.WORKER;
    }

    KillRecord withRecovery(OptionalLong recovery, int inProgress, String slowest) {
        return new KillRecord(target, kind, pid, atMs, recovery, inProgress, slowest);
    }
}
