package io.agentlog.local.chaos;

import java.util.OptionalLong;

/**
 * One SIGKILL of the run.
 *
 * @param target the slot killed, e.g. {@code engine-2}
 * @param worker true for a worker, false for an engine
 * @param pid the process killed
 * @param atMs when (epoch ms)
 * @param recoveryMs from the kill until every session that was in progress at that moment recorded a new event;
 *     empty when no session was in progress
 */
record KillRecord(String target, boolean worker, long pid, long atMs, OptionalLong recoveryMs) {

    KillRecord withRecovery(OptionalLong recovery) {
        return new KillRecord(target, worker, pid, atMs, recovery);
    }
}
