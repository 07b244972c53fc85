package io.agentlog.worker.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a stream to its end on its own thread, keeping the first {@code limit} bytes and discarding the rest, so the
 * writer never blocks on a full pipe and a flood costs no memory.
 */
final class CappedOutput {

    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final int limit;
    private final Thread reader;
    private long total;

    CappedOutput(InputStream in, int limit, String name) {
        this.limit = limit;
        this.reader = Thread.ofVirtual().name(name).start(() -> drain(in));
    }

    private void drain(InputStream in) {
        byte[] buffer = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (this) {
                    int keep = (int) Math.max(0, Math.min(n, limit - total));
                    kept.write(buffer, 0, keep);
                    total += n;
                }
            }
        } catch (IOException e) {
            // the process was killed and its pipe closed: what was read is kept
        }
    }

    /** Waits (at most {@code millis}) for the end of the stream. */
    void await(long millis) throws InterruptedException {
        reader.join(Math.max(1, millis));
    }

    synchronized String text() {
        return kept.toString(StandardCharsets.UTF_8);
    }

    synchronized boolean truncated() {
        return total > limit;
    }

    synchronized long totalBytes() {
        return total;
    }
}
