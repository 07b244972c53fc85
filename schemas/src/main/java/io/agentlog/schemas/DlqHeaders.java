package io.agentlog.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Headers of a record on {@code agentlog.dlq}: why it is there and where it came from. */
public final class DlqHeaders {

    public static final String REASON = "agentlog.dlq.reason";
    public static final String SOURCE_TOPIC = "agentlog.dlq.topic";
    public static final String SOURCE_PARTITION = "agentlog.dlq.partition";
    public static final String SOURCE_OFFSET = "agentlog.dlq.offset";
    public static final String COMPONENT = "agentlog.dlq.component";

    private DlqHeaders() {}

    public static Headers of(String reason, String component, String topic, int partition, long offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON, utf8(reason));
        headers.add(COMPONENT, utf8(component));
        headers.add(SOURCE_TOPIC, utf8(topic));
        headers.add(SOURCE_PARTITION, utf8(String.valueOf(partition)));
        headers.add(SOURCE_OFFSET, utf8(String.valueOf(offset)));
        return headers;
    }

    /** The value of a header as text, or empty when absent. */
    public static String get(Headers headers, String name) {
        var header = headers.lastHeader(name);
        return header == null || header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String value) {
        return (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
    }
}
