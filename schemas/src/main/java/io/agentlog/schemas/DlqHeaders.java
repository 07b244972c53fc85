package io.agentlog.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Headers of a record on {@code agentlog.dlq}: why it is there and where it came from. */
public final class DlqHeaders {

    public static final String REASON = "agentlog.dlq.reason";
    public static final String SOURCE_TOPIC = "agentlog.dlq.topic";
    public static final String SOURCE_PARTITION = "agentlog.dlq.partition";
    public static final String SOURCE_OFFSET = "agentlog.dlq.offset";
    public static final String COMPONENT = "agentlog.dlq.component";
    /** Present when the value (or key) was cut to fit the DLQ: the original sizes, "value=N" / "key=N". */
    public static final String TRUNCATED = "agentlog.dlq.truncated";

    /** Largest value kept in a DLQ record; a larger one keeps its first bytes and a {@link #TRUNCATED} header. */
    public static final int MAX_VALUE_BYTES = 1024 * 1024;

    /** Largest key kept in a DLQ record. */
    public static final int MAX_KEY_BYTES = 64 * 1024;

    /** Longest reason kept in the {@link #REASON} header; a reason may quote what it rejects. */
    public static final int MAX_REASON_CHARS = 8 * 1024;

    private DlqHeaders() {}

    public static Headers of(String reason, String component, String topic, int partition, long offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON, utf8(shorten(reason)));
        headers.add(COMPONENT, utf8(component));
        headers.add(SOURCE_TOPIC, utf8(topic));
        headers.add(SOURCE_PARTITION, utf8(String.valueOf(partition)));
        headers.add(SOURCE_OFFSET, utf8(String.valueOf(offset)));
        return headers;
    }

    /**
     * The DLQ copy of a record that could not be processed: its key and value (cut to fit, see
     * {@link #capValue}), the reason and origin in headers.
     */
    public static ProducerRecord<byte[], byte[]> record(
            String reason, String component, String topic, int partition, long offset, byte[] key, byte[] value) {
        Headers headers = of(reason, component, topic, partition, offset);
        return new ProducerRecord<>(Topics.DLQ.name(), null, capKey(key, headers), capValue(value, headers), headers);
    }

    /** The value as it goes to the DLQ: at most {@link #MAX_VALUE_BYTES}, noting a cut in the headers. */
    public static byte[] capValue(byte[] value, Headers headers) {
        return cap(value, MAX_VALUE_BYTES, "value", headers);
    }

    /** The key as it goes to the DLQ: at most {@link #MAX_KEY_BYTES}, noting a cut in the headers. */
    public static byte[] capKey(byte[] key, Headers headers) {
        return cap(key, MAX_KEY_BYTES, "key", headers);
    }

    private static byte[] cap(byte[] bytes, int max, String what, Headers headers) {
        if (bytes == null || bytes.length <= max) {
            return bytes;
        }
        headers.add(TRUNCATED, utf8(what + "=" + bytes.length));
        return java.util.Arrays.copyOf(bytes, max);
    }

    /** The value of a header as text, or empty when absent. */
    public static String get(Headers headers, String name) {
        var header = headers.lastHeader(name);
        return header == null || header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String shorten(String reason) {
        return reason == null || reason.length() <= MAX_REASON_CHARS
                ? reason
                : reason.substring(0, MAX_REASON_CHARS) + "... [" + (reason.length() - MAX_REASON_CHARS)
                        + " more characters]";
    }

    private static byte[] utf8(String value) {
        return (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
    }
}
