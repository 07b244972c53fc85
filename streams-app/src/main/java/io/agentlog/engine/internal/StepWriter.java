package io.agentlog.engine.internal;

import io.agentlog.engine.EngineConfig;
import io.agentlog.engine.EngineTopology;
import io.agentlog.engine.session.Step;
import io.agentlog.engine.session.StepOutput;
import io.agentlog.engine.session.Timers;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.telemetry.TraceHeaders;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a decided {@link Step}: encodes every record it produces and checks each against its topic's limit, then
 * writes the stores (state, new history entries, workspace changes, blob references, the timers the new state
 * implies) and forwards the records, in the same exactly-once transaction as the input's offset. The checks come
 * before any write, so a step whose record could not be written changes nothing (the processor then fails the
 * session cleanly instead of letting the producer fail the transaction over and over).
 */
final class StepWriter {

    private static final Logger log = LoggerFactory.getLogger(StepWriter.class);

    /** Room for the key, headers and batch envelope of a record. */
    static final int RECORD_MARGIN_BYTES = 16 * 1024;

    private static final byte[] PRESENT = new byte[0];
    private static final Serializer<SessionEvent> EVENTS =
            Topics.EVENTS.valueSerde().serializer();
    private static final Serializer<SessionResult> RESULTS =
            Topics.RESULTS.valueSerde().serializer();
    private static final AnyRecordSerializer ANY = new AnyRecordSerializer();

    private final ProcessorContext<String, OutputRecord> context;
    private final SessionStores stores;
    private final EngineConfig config;
    private final LongConsumer timerSet;
    private final EngineMetrics metrics;
    private final AgentCatalog catalog;

    /**
     * {@code timerSet} hears the deadline of every timer a step writes; {@code metrics} counts every applied step,
     * looking up sessions' models in {@code catalog}.
     */
    StepWriter(
            ProcessorContext<String, OutputRecord> context,
            SessionStores stores,
            EngineConfig config,
            LongConsumer timerSet,
            EngineMetrics metrics,
            AgentCatalog catalog) {
        this.context = context;
        this.stores = stores;
        this.config = config;
        this.timerSet = timerSet;
        this.metrics = metrics;
        this.catalog = catalog;
    }

    /** A record a step makes, encoded. */
    private record Outgoing(String topic, String key, byte[] value, Headers headers) {

        int size() {
            int headerBytes = 0;
            for (var header : headers) {
                headerBytes += header.key().length() + (header.value() == null ? 0 : header.value().length);
            }
            return (value == null ? 0 : value.length) + (key == null ? 0 : key.length() * 3) + headerBytes;
        }
    }

    /**
     * Applies {@code step}; its work records carry {@code trace} (the step's span, as a {@code traceparent} header;
     * nothing when tracing is off).
     */
    void apply(Step step, StoreSessionModel model, Origin origin, Context trace) {
        step.beforeApply();
        String sessionId = model.sessionId();
        List<String> purgedBlobs = model.purged() ? blobKeys(sessionId) : List.of();
        List<Outgoing> out = encode(step, origin, purgedBlobs, trace);
        if (step.events().isEmpty() && !model.purged()) {
            // only the fold changes a session, and it ran on no event: nothing to write but a fired timer's end
            if (origin instanceof Origin.Timer timer) {
                stores.timers.delete(timer.key());
            }
        } else {
            writeStores(model, origin, purgedBlobs);
        }
        model.applied();
        long now = step.now();
        for (Outgoing record : out) {
            context.forward(
                    new Record<>(record.key(), new OutputRecord(record.topic(), record.value()), now, record.headers()),
                    EngineTopology.OUTPUT_SINK);
        }
        metrics.applied(step, model.before(), origin, catalog);
    }

    /** Forwards a record the engine cannot use to the DLQ, outside any step (the last resort of a failed step). */
    void deadLetter(Origin origin, String reason) {
        Outgoing dead = deadLetterRecord(origin, reason);
        context.forward(
                new Record<>(
                        dead.key(),
                        new OutputRecord(dead.topic(), dead.value()),
                        context.currentSystemTimeMs(),
                        dead.headers()),
                EngineTopology.OUTPUT_SINK);
    }

    /**
     * Writes a record back to an input topic under its key: to the given partition (a record that was on the wrong
     * one), or where the producer puts the key ({@code partition} -1, a record just given its key).
     */
    void resubmit(String topic, String key, byte[] value, int partition) {
        context.forward(
                new Record<>(key, new OutputRecord(topic, value, partition), context.currentSystemTimeMs()),
                EngineTopology.OUTPUT_SINK);
    }

    private List<Outgoing> encode(Step step, Origin origin, List<String> purgedBlobs, Context trace) {
        List<Outgoing> out = new ArrayList<>();
        String sessionId = step.sessionId();
        for (SessionEvent event : step.events()) {
            out.add(new Outgoing(
                    Topics.EVENTS.name(),
                    sessionId,
                    EVENTS.serialize(Topics.EVENTS.name(), event),
                    new RecordHeaders()));
        }
        for (StepOutput output : step.outputs()) {
            out.add(
                    switch (output) {
                        case StepOutput.Work work ->
                            new Outgoing(
                                    Topics.workTopicName(work.request().getPool()),
                                    sessionId,
                                    work.encoded(),
                                    traced(trace));
                        case StepOutput.Result result ->
                            new Outgoing(
                                    Topics.RESULTS.name(),
                                    sessionId,
                                    RESULTS.serialize(Topics.RESULTS.name(), result.result()),
                                    new RecordHeaders());
                        case StepOutput.Blob blob ->
                            new Outgoing(
                                    Topics.BLOBS.name(),
                                    Keys.blob(sessionId, blob.hash()),
                                    blob.content(),
                                    new RecordHeaders());
                        case StepOutput.Message message ->
                            new Outgoing(message.topic(), message.key(), message.value(), new RecordHeaders());
                        case StepOutput.Rejected rejected -> deadLetterRecord(origin, rejected.reason());
                    });
        }
        for (String blobKey : purgedBlobs) {
            out.add(new Outgoing(Topics.BLOBS.name(), blobKey, null, new RecordHeaders()));
        }
        for (Outgoing record : out) {
            int limit = Topics.maxRecordBytes(record.topic()) - RECORD_MARGIN_BYTES;
            if (record.size() > limit) {
                throw new OversizedRecordException(record.topic(), record.size(), limit);
            }
        }
        return out;
    }

    private static Headers traced(Context trace) {
        Headers headers = new RecordHeaders();
        TraceHeaders.inject(trace, headers);
        return headers;
    }

    private Outgoing deadLetterRecord(Origin origin, String reason) {
        return switch (origin) {
            case Origin.Input input -> {
                Headers headers = DlqHeaders.of(reason, "engine", input.topic(), input.partition(), input.offset());
                byte[] key = input.key() == null ? null : input.key().getBytes(StandardCharsets.UTF_8);
                byte[] capped = DlqHeaders.capKey(key, headers);
                yield new Outgoing(
                        Topics.DLQ.name(),
                        capped == null ? null : new String(capped, StandardCharsets.UTF_8),
                        ANY.serialize(Topics.DLQ.name(), headers, input.value()),
                        headers);
            }
            case Origin.Timer timer -> {
                Headers headers = DlqHeaders.of(
                        reason + " (timer " + timer.key() + ")", "engine", EngineTopology.TIMERS_STORE, -1, -1);
                yield new Outgoing(Topics.DLQ.name(), timer.sessionId(), null, headers);
            }
        };
    }

    private List<String> blobKeys(String sessionId) {
        return SessionStores.scan(stores.blobs, sessionId).stream()
                .map(kv -> kv.key)
                .toList();
    }

    private void writeStores(StoreSessionModel model, Origin origin, List<String> purgedBlobs) {
        String sessionId = model.sessionId();
        if (model.purged()) {
            stores.sessions.delete(sessionId);
            int history = SessionStores.deleteAll(stores.history, sessionId).size();
            int files = SessionStores.deleteAll(stores.workspace, sessionId).size();
            purgedBlobs.forEach(stores.blobs::delete);
            log.info(
                    "Session {} deleted after its retention: {} history entries, {} files, {} blobs",
                    sessionId,
                    history,
                    files,
                    purgedBlobs.size());
        } else {
            model.state().ifPresent(state -> stores.sessions.put(sessionId, state));
            long index = model.firstAppended();
            for (var message : model.appended()) {
                stores.history.put(Keys.history(sessionId, index++), message);
            }
            model.fileChanges().forEach((path, content) -> {
                String key = Keys.workspace(sessionId, path);
                if (content.isPresent()) {
                    stores.workspace.put(key, content.get());
                } else {
                    stores.workspace.delete(key);
                }
            });
            model.addedBlobs().forEach(hash -> stores.blobs.put(Keys.blob(sessionId, hash), PRESENT));
        }
        if (origin instanceof Origin.Timer timer) {
            stores.timers.delete(timer.key());
        }
        Map<String, Long> before = timers(model.before());
        Map<String, Long> after = timers(model.state());
        before.forEach((id, due) -> {
            if (!Objects.equals(after.get(id), due)) {
                stores.timers.delete(Keys.timer(due, sessionId, id));
            }
        });
        after.forEach((id, due) -> {
            if (!Objects.equals(before.get(id), due)) {
                stores.timers.put(Keys.timer(due, sessionId, id), sessionId);
                timerSet.accept(due);
            }
        });
    }

    private Map<String, Long> timers(Optional<SessionState> state) {
        return state.map(s -> Timers.of(s, config)).orElse(Map.of());
    }
}
