package io.agentlog.worker.sandbox;

/**
 * The sandbox cannot run code here (e.g. {@code bwrap} is missing or fails its self-check). Code is then never run,
 * sandboxed or not; the message starts with {@code sandbox unavailable:} and says why and what to do.
 */
public final class SandboxUnavailableException extends RuntimeException {

    public SandboxUnavailableException(String why) {
        super("sandbox unavailable: " + why);
    }
}
