package io.agentlog.schemas;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.Utils;

/** Session ids: what a valid one looks like, how one is made, and which partition of a session topic it lands on. */
public final class SessionIds {

    /** The engine accepts these and no others (they are store key prefixes, so never '/'). */
    public static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

    private SessionIds() {}

    /**
     * The session id of a task: the one given, else one derived from the idempotency key (the same derivation as
     * the engine's, so a retried submit names the same session), else a random UUID.
     */
    public static String of(String sessionId, String idempotencyKey) {
        if (sessionId != null && !sessionId.isBlank()) {
            return validate(sessionId);
        }
        if (idempotencyKey != null) {
            return fromIdempotencyKey(idempotencyKey);
        }
        return UUID.randomUUID().toString();
    }

    public static String fromIdempotencyKey(String idempotencyKey) {
        return UUID.nameUUIDFromBytes(("agentlog:" + idempotencyKey).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    public static String validate(String sessionId) {
        if (sessionId == null || !VALID.matcher(sessionId).matches()) {
            throw new IllegalArgumentException(
                    "session id '" + sessionId + "' is invalid: it must match " + VALID.pattern());
        }
        return sessionId;
    }

    /** The partition Kafka's default partitioner picks for this key among {@code partitions}. */
    public static int partition(String sessionId, int partitions) {
        return Utils.toPositive(Utils.murmur2(sessionId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
