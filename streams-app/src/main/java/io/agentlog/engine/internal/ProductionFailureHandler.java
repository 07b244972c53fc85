package io.agentlog.engine.internal;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record the producer could not write: notes its session in {@link ProductionFailures} and fails the
 * transaction. Under exactly-once a failed send has already doomed the transaction (continuing would only drop the
 * record and still abort), so the inputs are processed again; the processor then finds the session noted and ends it
 * FAILED with the reason instead of making the same record again. Retriable errors are retried by Streams.
 */
public final class ProductionFailureHandler implements ProductionExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProductionFailureHandler.class);

    private ProductionFailures failures = new ProductionFailures();

    @Override
    public void configure(Map<String, ?> configs) {
        if (configs.get(ProductionFailures.CONFIG) instanceof ProductionFailures shared) {
            failures = shared;
        }
    }

    @Override
    public Response handleError(
            ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof org.apache.kafka.common.errors.RetriableException) {
            return Response.retry();
        }
        String sessionId = ProductionFailures.sessionOf(record.key());
        int size = record.value() == null ? 0 : record.value().length;
        String reason = "a record of " + size + " bytes for " + record.topic() + " could not be written: " + exception;
        log.error("Session {}: {}; the session will end FAILED when its input is processed again", sessionId, reason);
        if (sessionId != null) {
            failures.record(sessionId, reason);
        }
        return Response.fail();
    }
}
