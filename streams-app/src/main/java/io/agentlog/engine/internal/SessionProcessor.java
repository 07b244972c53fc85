package io.agentlog.engine.internal;

import io.agentlog.engine.EngineConfig;
import io.agentlog.engine.EngineTopology;
import io.agentlog.engine.session.InputRouting;
import io.agentlog.engine.session.SessionDecider;
import io.agentlog.engine.session.Step;
import io.agentlog.engine.session.StepFaults;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.WorkResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The session state machine's one processor. Each input record (and each due timer) is one step of one session:
 * the {@link SessionDecider} decides it on a buffered model of the session, then {@link StepWriter} applies it —
 * stores, journal events, work requests, results — or nothing of it when the decision throws. A failed step sends
 * its input to the DLQ with the reason and ends the session FAILED, so no session waits on a step that never
 * happened and no partition stalls. Records on another partition than their key's (clients with another
 * partitioner) are written back to the right one first. Streams' own exceptions are rethrown so Streams handles
 * fencing and rebalances.
 */
public final class SessionProcessor implements Processor<String, SpecificRecord, String, OutputRecord> {

    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    /** Due timers one punctuation handles at most; the rest wait for the next one. */
    static final int MAX_TIMERS_PER_PUNCTUATION = 1000;
    /** How long one punctuation may work on timers before the thread goes back to its records. */
    static final Duration MAX_PUNCTUATION_WORK = Duration.ofMillis(200);

    private final EngineConfig config;
    private final WorkPools pools;
    private final InputPartitions partitions;
    private final ProductionFailures failures;
    private final StepFaults faults;
    private final HistoryCache history;
    private final AgentsCatchUp catchUp;
    private final EngineMetrics metrics;
    private final StepTracing tracing;

    private ProcessorContext<String, OutputRecord> context;
    private SessionStores stores;
    private SessionDecider decider;
    private StepWriter writer;
    private TimerAlarm alarm;
    /**
     * One pacer per stream thread, not per task: a thread commits all its tasks in one transaction, so whether it is
     * busy is a matter of all their records. Per task, a thread with 6 tasks at 320 records/s saw each task as nearly
     * idle and committed after almost every record (53 transactions/s instead of 20).
     */
    private static final ThreadLocal<CommitPacer> PACERS = ThreadLocal.withInitial(CommitPacer::new);

    public SessionProcessor(
            EngineConfig config,
            WorkPools pools,
            InputPartitions partitions,
            ProductionFailures failures,
            StepFaults faults,
            HistoryCache history,
            AgentsCatchUp catchUp,
            EngineMetrics metrics,
            StepTracing tracing) {
        this.config = config;
        this.metrics = metrics;
        this.tracing = tracing;
        this.catchUp = catchUp;
        this.history = history;
        this.pools = pools;
        this.partitions = partitions;
        this.failures = failures;
        this.faults = faults;
    }

    @Override
    public void init(ProcessorContext<String, OutputRecord> context) {
        this.context = context;
        this.stores = new SessionStores(context);
        AgentCatalog catalog = new AgentCatalog(context.getStateStore(EngineTopology.AGENTS_STORE), catchUp);
        this.decider = new SessionDecider(
                config, catalog, pools, new SpendLedger(context.getStateStore(EngineTopology.SPEND_STORE)));
        this.alarm = new TimerAlarm(context, this::fireTimers);
        this.writer = new StepWriter(context, stores, config, alarm::due, metrics, catalog);
        alarm.reset(earliestTimer());
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        route(record);
        commitWhenIdle();
    }

    private void route(Record<String, SpecificRecord> record) {
        String key = record.key();
        SpecificRecord value = record.value();
        RecordMetadata metadata = context.recordMetadata().orElse(null);
        String topic = metadata == null ? "" : metadata.topic();
        Origin.Input input = new Origin.Input(
                key,
                value,
                topic,
                metadata == null ? -1 : metadata.partition(),
                metadata == null ? -1 : metadata.offset(),
                record.timestamp());
        OptionalInt right = value == null || metadata == null
                ? OptionalInt.empty()
                : partitions.misplaced(topic, metadata.partition(), key);
        if (right.isPresent()) {
            log.debug(
                    "Record for session {} on {}-{} belongs on partition {}; writing it there",
                    key,
                    topic,
                    metadata.partition(),
                    right.getAsInt());
            writer.resubmit(topic, key, encode(topic, value), right.getAsInt());
            return;
        }
        switch (InputRouting.of(key, value)) {
            case InputRouting.Route.Reject reject -> {
                writer.deadLetter(input, reject.reason());
                log.info("Rejected a record for session {} to {}: {}", key, Topics.DLQ.name(), reject.reason());
            }
            case InputRouting.Route.Resubmit resubmit ->
                writer.resubmit(topic, resubmit.key(), encode(topic, resubmit.value()), -1);
            case InputRouting.Route.ToSession session -> run(session.sessionId(), input, step -> decide(step, value));
        }
    }

    /** Asks for a commit after this loop while the stream thread is nearly idle ({@link CommitPacer}). */
    private void commitWhenIdle() {
        if (PACERS.get().record(context.currentSystemTimeMs())) {
            context.commit();
        }
    }

    private void decide(Step step, SpecificRecord value) {
        switch (value) {
            case TaskSubmitted task -> decider.task(step, task);
            case ControlCommand command -> decider.control(step, command);
            case WorkResult result -> decider.workResult(step, result);
            default ->
                throw new IllegalArgumentException(
                        "no decision for " + value.getClass().getSimpleName());
        }
    }

    /** Handles the timers due now, each as its own step, within a bound of count and time. */
    private void fireTimers(long now) {
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = stores.timers.range(Keys.timersFrom(), Keys.timersUpTo(now))) {
            while (it.hasNext() && due.size() < MAX_TIMERS_PER_PUNCTUATION) {
                due.add(it.next().key);
            }
        }
        long stopAt = System.nanoTime() + MAX_PUNCTUATION_WORK.toNanos();
        for (String key : due) {
            if (System.nanoTime() - stopAt > 0) {
                log.debug("Timer work of this punctuation is used up; the other due timers fire next time");
                break;
            }
            String[] parts = Keys.timerParts(key);
            run(parts[0], new Origin.Timer(key, parts[0], parts[1]), step -> decider.timer(step, parts[1]));
            commitWhenIdle();
        }
        alarm.reset(earliestTimer());
    }

    private OptionalLong earliestTimer() {
        try (KeyValueIterator<String, String> it = stores.timers.range(Keys.timersFrom(), Keys.timersUpToEnd())) {
            return it.hasNext() ? OptionalLong.of(Keys.timerDue(it.next().key)) : OptionalLong.empty();
        }
    }

    /** One step of one session: decided and applied, or (when that fails) the session failed cleanly. */
    private void run(String sessionId, Origin origin, Consumer<Step> decision) {
        MDC.put("sessionId", sessionId);
        StepTracing.StepSpan span = tracing.start(sessionId, origin);
        try {
            var unwritable = failures.take(sessionId);
            if (unwritable.isPresent()) {
                span.failed(unwritable.get());
                fail(sessionId, origin, unwritable.get(), span);
                return;
            }
            StoreSessionModel model = StoreSessionModel.load(stores, history, sessionId);
            Step step = new Step(model, context.currentSystemTimeMs(), faults);
            try {
                decision.accept(step);
                writer.apply(step, model, origin, span.context());
                span.applied(step);
            } catch (StreamsException e) {
                throw e;
            } catch (RuntimeException e) {
                log.error("Session {}: a step failed and was not applied; ending the session", sessionId, e);
                span.failed(e.toString());
                fail(sessionId, origin, "internal engine error: " + e, span);
            }
        } finally {
            span.end();
            MDC.remove("sessionId");
        }
    }

    /**
     * After a step that could not be decided or written: its input to the DLQ and the session FAILED, as a step of
     * its own on the session as it was. If even that cannot be written, the input still goes to the DLQ (and a
     * timer is dropped), so nothing is retried forever.
     */
    private void fail(String sessionId, Origin origin, String reason, StepTracing.StepSpan span) {
        try {
            StoreSessionModel model = StoreSessionModel.load(stores, history, sessionId);
            Step step = new Step(model, context.currentSystemTimeMs(), StepFaults.NONE);
            if (origin instanceof Origin.Input input && input.value() instanceof TaskSubmitted task) {
                decider.failTask(step, task, reason);
            } else {
                decider.fail(step, reason);
            }
            step.reject(reason);
            writer.apply(step, model, origin, span.context());
            span.applied(step);
        } catch (StreamsException e) {
            throw e;
        } catch (RuntimeException e) {
            log.error(
                    "Session {}: cannot even end the session after a failed step; dead-lettering the input",
                    sessionId,
                    e);
            writer.deadLetter(origin, reason + "; ending the session failed too: " + e);
            if (origin instanceof Origin.Timer timer) {
                stores.timers.delete(timer.key());
            }
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static byte[] encode(String topic, SpecificRecord value) {
        Serializer serializer = topic.equals(Topics.CONTROL.name())
                ? Topics.CONTROL.valueSerde().serializer()
                : topic.equals(Topics.TASKS.name())
                        ? Topics.TASKS.valueSerde().serializer()
                        : Topics.WORK_RESULTS.valueSerde().serializer();
        return serializer.serialize(topic, value);
    }

    @Override
    public void close() {
        if (alarm != null) {
            alarm.cancel();
        }
    }
}
