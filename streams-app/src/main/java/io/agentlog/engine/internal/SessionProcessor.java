package io.agentlog.engine.internal;

import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.WorkResult;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The session state machine's one processor: dispatches each input to its handler and runs the
 * timers. A handler failing on one record must not stall the partition: the record goes to the
 * DLQ with the error and processing goes on. Kafka's own exceptions are rethrown so Streams can
 * handle fencing and rebalances.
 */
public final class SessionProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {

    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);
    static final Duration TIMER_INTERVAL = Duration.ofSeconds(1);

    private final EngineConfig config;
    private final WorkPools pools;
    private SessionRuntime runtime;
    private TaskHandler tasks;
    private ControlHandler control;
    private WorkResultHandler results;
    private TimerHandler timers;
    private Cancellable punctuator;

    public SessionProcessor(EngineConfig config, WorkPools pools) {
        this.config = config;
        this.pools = pools;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        runtime = new SessionRuntime(context, config, pools);
        tasks = new TaskHandler(runtime);
        control = new ControlHandler(runtime);
        results = new WorkResultHandler(runtime);
        timers = new TimerHandler(runtime);
        punctuator = context.schedule(
                TIMER_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> guarded(null, null, () -> timers.fire()));
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        String key = record.key();
        SpecificRecord value = record.value();
        guarded(key, value, () -> {
            switch (value) {
                case TaskSubmitted task -> tasks.handle(key, task);
                case ControlCommand command -> control.handle(key, command);
                case WorkResult result -> results.handle(key, result);
                case null -> runtime.deadLetter(key, null, "empty record (null value) for key '" + key + "'");
                default ->
                    runtime.deadLetter(
                            key,
                            value,
                            "unexpected record type " + value.getClass().getSimpleName());
            }
        });
    }

    private void guarded(String key, SpecificRecord value, Runnable work) {
        if (key != null) {
            MDC.put("sessionId", key);
        }
        try {
            work.run();
        } catch (KafkaException e) {
            throw e;
        } catch (RuntimeException e) {
            if (e.getCause() instanceof StreamsException streams) {
                throw streams;
            }
            log.error("Internal error on a record for session {}; sending it to the DLQ", key, e);
            if (value != null) {
                runtime.deadLetter(key, value, "internal engine error: " + e);
            }
        } finally {
            MDC.remove("sessionId");
        }
    }

    @Override
    public void close() {
        if (punctuator != null) {
            punctuator.cancel();
        }
    }
}
