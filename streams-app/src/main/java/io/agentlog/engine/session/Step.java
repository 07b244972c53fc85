package io.agentlog.engine.session;

import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.WorkRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;

/**
 * One decision of one session: what a single input record (or a single timer) does to it. Every journal event is
 * folded into the session's model as it is emitted, so later decisions in the same step see it; events and outputs
 * are only collected here. The engine applies the whole step when the decision returns, or nothing of it when the
 * decision throws: one input, all or nothing.
 */
public final class Step {

    private final SessionModel model;
    private final long now;
    private final StepFaults faults;
    private final List<SessionEvent> events = new ArrayList<>();
    private final List<StepOutput> outputs = new ArrayList<>();
    private final Map<String, byte[]> blobs = new HashMap<>();
    private boolean purged;

    public Step(SessionModel model, long now, StepFaults faults) {
        this.model = model;
        this.now = now;
        this.faults = faults;
    }

    public String sessionId() {
        return model.sessionId();
    }

    public SessionModel model() {
        return model;
    }

    /** The session's state as the step has folded it so far. */
    public Optional<SessionState> state() {
        return model.state();
    }

    /** The state of a session that must exist here. */
    public SessionState requireState() {
        return model.state()
                .orElseThrow(() -> new IllegalStateException("session " + model.sessionId() + " has no state"));
    }

    /** Engine wall-clock time of the step, in epoch milliseconds. */
    public long now() {
        return now;
    }

    /** Appends an event to the session's journal: the next {@code seq}, folded into the model at once. */
    public SessionEvent emit(SpecificRecord payload) {
        long seq = model.state().map(SessionState::getNextEventSeq).orElse(0L);
        SessionEvent event = new SessionEvent(model.sessionId(), seq, Instant.ofEpochMilli(now), payload);
        faults.beforeEvent(model.sessionId(), event);
        SessionFold.evolve(model, event, (session, hash) -> Optional.ofNullable(blobs.get(hash)));
        events.add(event);
        return event;
    }

    public void send(WorkRequest request, byte[] encoded) {
        outputs.add(new StepOutput.Work(request, encoded));
    }

    /** A record for another session (see {@link StepOutput.Message}). */
    public void message(String topic, String key, byte[] value) {
        outputs.add(new StepOutput.Message(topic, key, value));
    }

    public void finish(SessionResult result) {
        outputs.add(new StepOutput.Result(result));
    }

    /** Keeps a large workspace content on agentlog.blobs; emit the FileWritten that names it afterwards. */
    public void blob(String hash, byte[] content) {
        if (blobs.putIfAbsent(hash, content) == null) {
            outputs.add(new StepOutput.Blob(hash, content));
        }
    }

    /** The input record goes to the DLQ with this reason. */
    public void reject(String reason) {
        outputs.add(new StepOutput.Rejected(reason));
    }

    /** Deletes everything of the session (its retention ended). */
    public void purge() {
        model.purge();
        purged = true;
    }

    public boolean purged() {
        return purged;
    }

    public List<SessionEvent> events() {
        return Collections.unmodifiableList(events);
    }

    public List<StepOutput> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    /** Whether the step changes anything. */
    public boolean isEmpty() {
        return events.isEmpty() && outputs.isEmpty() && !purged;
    }

    /** Runs the fault hook before the engine writes the step. */
    public void beforeApply() {
        faults.beforeApply(model.sessionId());
    }
}
