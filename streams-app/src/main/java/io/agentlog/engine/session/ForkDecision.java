package io.agentlog.engine.session;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ApprovalDecided;
import io.agentlog.schemas.avro.Budget;
import io.agentlog.schemas.avro.ChildEnded;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.Fork;
import io.agentlog.schemas.avro.HistoryCompacted;
import io.agentlog.schemas.avro.Limits;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.PendingWork;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionForked;
import io.agentlog.schemas.avro.SessionStarted;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.ToolCall;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.UserMessageAdded;
import io.agentlog.schemas.avro.WorkDelayed;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task with a {@link Fork}: the new session starts from the fold of another session's journal up to a seq, so
 * nothing before it runs again and no model call is repeated. Its journal opens with a copy of those events (through
 * the same fold as any event, so its stores are the fold of its own journal), then {@code SessionForked}; then the
 * task's input, if any, as a user message, and the session goes on.
 *
 * <p>What the copy leaves out: the source's end (a fork of an ended session goes on), and work that was in flight at
 * the seq (a model turn or a worker's tool call without its answer in the copy): its answer would go to the source.
 * A tool call of the last model turn that has no result and is not waiting for a human is dispatched again, as when
 * the turn came (an approval already given is kept; a {@code spawn_agent} call whose children were not all back starts
 * all of them again); with nothing pending the next model turn is requested. Waits for people and sleeps carry over as
 * they are.
 *
 * <p>The copy is checked like any input: it must be the source's journal from {@code SessionStarted} on without gaps,
 * and the definition it is pinned to must still be there unchanged; the fork's budgets are the source's, never more
 * than the definition allows, and its wall time starts now. A fork is a session of its own: no parent, no children.
 */
final class ForkDecision {

    private static final Logger log = LoggerFactory.getLogger(ForkDecision.class);

    private final Turns turns;
    private final ToolDispatch tools;

    ForkDecision(Turns turns, ToolDispatch tools) {
        this.turns = turns;
        this.tools = tools;
    }

    /**
     * Starts the fork, or starts it FAILED with what is wrong with the copy (returned for the caller to end it).
     */
    Optional<String> decide(Step step, TaskSubmitted task) {
        Fork fork = task.getFork();
        Optional<String> problem = check(step.sessionId(), fork);
        if (problem.isPresent()) {
            return problem;
        }
        SessionStarted started = (SessionStarted) fork.getEvents().getFirst().getEvent();
        Optional<AgentDefinition> found = turns.definitions()
                .find(started.getAgent(), started.getAgentVersion())
                .filter(d -> d.getCreatedAt().equals(started.getDefinitionCreatedAt()));
        if (found.isEmpty()) {
            return Optional.of("the definition " + started.getAgent() + "@" + started.getAgentVersion()
                    + " the source session is pinned to is gone or was replaced");
        }
        Set<String> answered = answeredWork(fork.getEvents());
        Set<String> inFlight = new HashSet<>();
        Map<String, ApprovalDecided> decided = new HashMap<>();
        int copied = 0;
        for (SessionEvent event : fork.getEvents()) {
            Object payload = event.getEvent();
            String workId = requestedWork(payload);
            if (workId != null && !answered.contains(workId)) {
                inFlight.add(workId);
                continue;
            }
            if (payload instanceof SessionEnded
                    || (payload instanceof WorkDelayed delayed && inFlight.contains(delayed.getWorkId()))) {
                continue;
            }
            if (payload instanceof SessionStarted) {
                step.emit(forkStart(started, found.get(), task, step.now()));
            } else {
                if (payload instanceof FileWritten written && written.getContentHash() != null) {
                    byte[] content = blob(fork, written.getContentHash());
                    step.blob(written.getContentHash(), content);
                }
                if (payload instanceof ApprovalDecided approval) {
                    decided.put(approval.getToolCallId(), approval);
                }
                step.emit((SpecificRecord) payload);
            }
            copied++;
        }
        step.emit(new SessionForked(fork.getSourceSessionId(), fork.getAtSeq(), copied));
        log.info(
                "Session {} forked from {} at seq {} ({} events copied, {} in-flight work items requested again)",
                step.sessionId(),
                fork.getSourceSessionId(),
                fork.getAtSeq(),
                copied,
                inFlight.size());
        if (!task.getInput().isBlank()) {
            step.emit(new UserMessageAdded(turns.capped(step, task.getInput(), "fork-message")));
        }
        Optional<AgentDefinition> definition = turns.definition(step);
        if (definition.isEmpty()) {
            return Optional.empty();
        }
        for (ToolCall call : unansweredCalls(step)) {
            ApprovalDecided approval = decided.get(call.getId());
            if (approval == null) {
                tools.dispatch(step, definition.get(), call);
            } else if (approval.getApproved()) {
                String arguments = approval.getArguments() != null ? approval.getArguments() : call.getArguments();
                tools.approved(step, definition.get(), new ToolCall(call.getId(), call.getName(), arguments));
            } else {
                tools.refuse(step, call, ControlDecision.denial(call.getName(), approval.getMessage()));
            }
        }
        turns.advance(step);
        return Optional.empty();
    }

    /** The start of the fork: the source's, but its own session, without a parent, its wall time from now. */
    private static SessionStarted forkStart(
            SessionStarted source, AgentDefinition definition, TaskSubmitted task, long now) {
        Limits copied = source.getLimits() == null ? definition.getLimits() : source.getLimits();
        Budget asBudget = Budget.newBuilder()
                .setMaxSteps(copied.getMaxSteps())
                .setMaxTokens(copied.getMaxTokens())
                .setMaxWallTimeMs(copied.getMaxWallTimeMs())
                .setMaxCostMicros(copied.getMaxCostMicros())
                .build();
        Limits limits = TaskDecision.effectiveLimits(
                TaskDecision.effectiveLimits(definition.getLimits(), asBudget), task.getBudget());
        long deadline = limits.getMaxWallTimeMs() > 0 ? now + limits.getMaxWallTimeMs() : 0;
        return SessionStarted.newBuilder(source)
                .setParentSessionId(null)
                .setParentWorkId(null)
                .setDepth(0)
                .setIdempotencyKey(task.getIdempotencyKey())
                .setLimits(limits)
                .setDeadline(Instant.ofEpochMilli(deadline))
                .build();
    }

    /** Whether the copy is a journal from its start without gaps, of another session, up to {@code atSeq}. */
    static Optional<String> check(String sessionId, Fork fork) {
        List<SessionEvent> events = fork.getEvents();
        if (fork.getSourceSessionId().equals(sessionId)) {
            return Optional.of("a session cannot be a fork of itself");
        }
        if (events.isEmpty() || !(events.getFirst().getEvent() instanceof SessionStarted)) {
            return Optional.of("the copied journal does not start with SessionStarted");
        }
        for (int i = 0; i < events.size(); i++) {
            SessionEvent event = events.get(i);
            if (!event.getSessionId().equals(fork.getSourceSessionId()) || event.getSeq() != i) {
                return Optional.of("the copied journal is not session " + fork.getSourceSessionId()
                        + "'s events from seq 0 without gaps (entry " + i + " is " + event.getSessionId() + " seq "
                        + event.getSeq() + ")");
            }
        }
        if (events.getLast().getSeq() != fork.getAtSeq()) {
            return Optional.of(
                    "the copied journal ends at seq " + events.getLast().getSeq() + ", not at " + fork.getAtSeq());
        }
        return Optional.empty();
    }

    /** The work ids whose answer is in the copy. */
    private static Set<String> answeredWork(List<SessionEvent> events) {
        Set<String> answered = new HashSet<>();
        for (SessionEvent event : events) {
            switch (event.getEvent()) {
                case ModelResponded e -> answered.add(e.getWorkId());
                case HistoryCompacted e -> answered.add(e.getWorkId());
                case ChildEnded e -> answered.add(e.getWorkId());
                case ToolCompleted e -> {
                    if (e.getWorkId() != null) {
                        answered.add(e.getWorkId());
                    }
                }
                default -> {}
            }
        }
        return answered;
    }

    /** The work id of a request for a worker or a child session, else null (inline tools have none). */
    private static String requestedWork(Object payload) {
        return switch (payload) {
            case ModelRequested e -> e.getWorkId();
            case ToolRequested e -> e.getWorkId();
            default -> null;
        };
    }

    /**
     * The calls of the last model turn with no result that wait for nothing: their requests were in flight at the
     * fork (or the seq fell inside the step that dispatched them).
     */
    private static List<ToolCall> unansweredCalls(Step step) {
        List<Message> history = step.model().history();
        int last = history.size() - 1;
        while (last >= 0 && history.get(last).getRole() != Role.ASSISTANT) {
            last--;
        }
        if (last < 0) {
            return List.of();
        }
        Set<String> done = new HashSet<>();
        for (int i = last + 1; i < history.size(); i++) {
            if (history.get(i).getRole() == Role.TOOL) {
                done.add(history.get(i).getToolCallId());
            }
        }
        SessionState state = step.requireState();
        for (PendingWork pending : state.getPending()) {
            if (pending.getToolCallId() != null) {
                done.add(pending.getToolCallId());
            }
        }
        return history.get(last).getToolCalls().stream()
                .filter(call -> !done.contains(call.getId()))
                .toList();
    }

    /** A large file content the copy names, checked against its SHA-256. */
    private static byte[] blob(Fork fork, String hash) {
        ByteBuffer buffer = fork.getBlobs().get(hash);
        if (buffer == null) {
            throw new IllegalArgumentException("the fork names file content " + hash + " but does not carry it");
        }
        byte[] content = SessionFold.bytes(buffer);
        String actual = WorkspaceFiles.sha256(content);
        if (!actual.equals(hash)) {
            throw new IllegalArgumentException(
                    "the fork's content for " + hash + " does not match that SHA-256 (it is " + actual + ")");
        }
        return content;
    }
}
