package io.agentlog.schemas;

/** A record's bytes are not a valid value for its topic. The message says why, for the DLQ. */
public final class UndecodableRecordException extends RuntimeException {

    public UndecodableRecordException(String message) {
        super(message);
    }

    public UndecodableRecordException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The first bytes of a record, in hex, for error messages. */
    static String preview(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, 8); i++) {
            out.append(String.format("%02X", bytes[i]));
        }
        return out.length() == 0 ? "(empty)" : out.toString();
    }
}
