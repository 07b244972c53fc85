package io.agentlog.engine.internal;

import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An input record that cannot be decoded (random bytes, invalid JSON, a record of another type) is
 * written unchanged to {@code agentlog.dlq} with the reason in headers, in the same transaction,
 * and processing goes on: a poison record never stalls a partition.
 */
public final class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);

    @Override
    public Response handleError(
            ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        String reason = exception.getMessage() == null ? exception.toString() : exception.getMessage();
        log.warn(
                "Undecodable record on {}-{} at offset {}: {}; sent to {}",
                context.topic(),
                context.partition(),
                context.offset(),
                reason,
                Topics.DLQ.name());
        return Response.resume(List.of(DlqHeaders.record(
                reason,
                "engine",
                context.topic(),
                context.partition(),
                context.offset(),
                record.key(),
                record.value())));
    }

    @Override
    public void configure(Map<String, ?> configs) {}
}
