package io.agentlog.engine.session;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.ApprovalDecided;
import io.agentlog.schemas.avro.ApprovalRequested;
import io.agentlog.schemas.avro.ChildEnded;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.HistoryCompacted;
import io.agentlog.schemas.avro.HumanAnswered;
import io.agentlog.schemas.avro.HumanAsked;
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
import io.agentlog.schemas.avro.SessionStatus;
import io.agentlog.schemas.avro.SleepStarted;
import io.agentlog.schemas.avro.ToolCompleted;
import io.agentlog.schemas.avro.ToolRequested;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.UserMessageAdded;
import io.agentlog.schemas.avro.WorkDelayed;
import io.agentlog.schemas.avro.WorkKind;
import io.agentlog.schemas.avro.WorkRejected;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The fold of a session's journal: {@code evolve(model, event)} applies one {@code agentlog.events} record to the
 * session's state, conversation and workspace. It is the only code that changes them, on the live path (each event
 * the engine emits, into a buffer that is applied when the step ends) and on replay ({@link #replay}), so the stores
 * are the fold of the journal by construction. Deterministic: it reads nothing but the model, the event and blobs.
 *
 * <p>An event that does not fit the state (a gap in {@code seq}, a response to work that is not pending, a move the
 * state machine does not allow) throws: on the live path that discards the step.
 */
public final class SessionFold {

    /** Workspace contents kept apart on {@code agentlog.blobs}, by session and SHA-256. */
    @FunctionalInterface
    public interface Blobs {
        Optional<byte[]> get(String sessionId, String hash);

        Blobs NONE = (session, hash) -> Optional.empty();
    }

    private SessionFold() {}

    /** A session rebuilt from its journal, in memory. */
    public static MemorySessionModel replay(String sessionId, Iterable<SessionEvent> events, Blobs blobs) {
        MemorySessionModel model = new MemorySessionModel(sessionId);
        for (SessionEvent event : events) {
            evolve(model, event, blobs);
        }
        return model;
    }

    public static void evolve(SessionModel model, SessionEvent event, Blobs blobs) {
        if (!event.getSessionId().equals(model.sessionId())) {
            throw new IllegalArgumentException(
                    "event of session " + event.getSessionId() + " folded into session " + model.sessionId());
        }
        if (event.getEvent() instanceof SessionStarted started) {
            start(model, event, started);
            return;
        }
        SessionState state = model.state()
                .orElseThrow(() -> new IllegalStateException("session " + model.sessionId() + ": event "
                        + event.getSeq() + " (" + type(event) + ") before SessionStarted"));
        if (event.getSeq() != state.getNextEventSeq()) {
            throw new IllegalStateException("session " + model.sessionId() + ": event seq " + event.getSeq() + " where "
                    + state.getNextEventSeq() + " comes next");
        }
        state.setNextEventSeq(event.getSeq() + 1);
        Instant at = event.getAt();
        switch (event.getEvent()) {
            case ModelRequested e -> {
                if (e.getCompactsThrough() != null) {
                    // a summary of older history (context compaction), not a turn of the agent
                    addPending(
                            state,
                            new PendingWork(
                                    e.getWorkId(),
                                    WorkKind.COMPACTION,
                                    null,
                                    null,
                                    at,
                                    e.getDeadline(),
                                    null,
                                    e.getCompactsThrough()));
                } else {
                    addPending(
                            state,
                            new PendingWork(
                                    e.getWorkId(), WorkKind.MODEL, null, null, at, e.getDeadline(), null, null));
                    state.setSteps(Math.max(state.getSteps(), e.getTurn() + 1));
                }
                Transitions.move(state, SessionStatus.AWAITING_MODEL);
            }
            case HistoryCompacted e -> {
                PendingWork call = takePending(state, e.getWorkId(), WorkKind.COMPACTION);
                if (call.getCompactsThrough() != e.getThrough()) {
                    throw new IllegalStateException("session " + model.sessionId() + ": HistoryCompacted through "
                            + e.getThrough() + " for a call that summarizes through " + call.getCompactsThrough());
                }
                addUsage(state, e.getUsage());
                state.setSummaryIndex(state.getHistorySize());
                append(model, state, ContextCompaction.summaryMessage(e.getSummary()));
                state.setContextStart(e.getThrough());
                Transitions.move(state, running(state));
            }
            case ChildEnded e -> {
                // one child of a fan-out: its answer went to the workspace, the call's result comes with the last
                takePending(state, e.getWorkId(), WorkKind.TOOL);
                addUsage(state, e.getUsage());
            }
            case SessionForked e -> {
                // informational: the copied events before it made the state
            }
            case ModelResponded e -> {
                takePending(state, e.getWorkId(), WorkKind.MODEL);
                addUsage(state, e.getUsage());
                append(
                        model,
                        state,
                        Message.newBuilder()
                                .setRole(Role.ASSISTANT)
                                .setContent(e.getText())
                                .setToolCalls(e.getToolCalls())
                                .build());
                Transitions.move(state, running(state));
            }
            case ToolRequested e -> {
                state.setToolCalls(state.getToolCalls() + 1);
                if (e.getWorkId() != null) {
                    addPending(
                            state,
                            new PendingWork(
                                    e.getWorkId(),
                                    WorkKind.TOOL,
                                    e.getToolCallId(),
                                    e.getTool(),
                                    at,
                                    e.getDeadline(),
                                    null,
                                    null));
                }
                Transitions.move(state, running(state));
            }
            case ToolCompleted e -> {
                if (e.getWorkId() != null) {
                    // a worker's tool call, or a sleep its timer ended
                    WorkKind kind = find(state, e.getWorkId())
                            .map(PendingWork::getKind)
                            .filter(k -> k == WorkKind.SLEEP)
                            .orElse(WorkKind.TOOL);
                    takePending(state, e.getWorkId(), kind);
                }
                addUsage(state, e.getUsage());
                append(
                        model,
                        state,
                        Message.newBuilder()
                                .setRole(Role.TOOL)
                                .setContent(e.getContent())
                                .setToolCallId(e.getToolCallId())
                                .setToolName(e.getTool())
                                .setIsError(e.getIsError())
                                .build());
                Transitions.move(state, running(state));
            }
            case ApprovalRequested e -> {
                addPending(
                        state,
                        new PendingWork(
                                approvalId(e.getToolCallId()),
                                WorkKind.APPROVAL,
                                e.getToolCallId(),
                                e.getTool(),
                                at,
                                Instant.EPOCH, // no deadline: a human may take days (the session's own deadline holds)
                                e.getArguments(),
                                null));
                Transitions.move(state, running(state));
            }
            case ApprovalDecided e -> {
                takePending(state, approvalId(e.getToolCallId()), WorkKind.APPROVAL);
                Transitions.move(state, running(state));
            }
            case HumanAsked e -> {
                addPending(
                        state,
                        new PendingWork(
                                questionId(e.getToolCallId()),
                                WorkKind.QUESTION,
                                e.getToolCallId(),
                                BuiltinTools.ASK_HUMAN,
                                at,
                                Instant.EPOCH, // no deadline but the session's
                                null,
                                null));
                Transitions.move(state, running(state));
            }
            case HumanAnswered e -> {
                takePending(state, questionId(e.getToolCallId()), WorkKind.QUESTION);
                Transitions.move(state, running(state));
            }
            case SleepStarted e -> {
                addPending(
                        state,
                        new PendingWork(
                                sleepId(e.getToolCallId()),
                                WorkKind.SLEEP,
                                e.getToolCallId(),
                                BuiltinTools.SLEEP,
                                at,
                                e.getUntil(), // its timer wakes it: ToolCompleted with this id
                                null,
                                null));
                Transitions.move(state, running(state));
            }
            case FileWritten e -> writeFile(model, state, e, blobs);
            case UserMessageAdded e ->
                append(
                        model,
                        state,
                        Message.newBuilder()
                                .setRole(Role.USER)
                                .setContent(e.getContent())
                                .build());
            case WorkDelayed e -> {
                PendingWork pending = find(state, e.getWorkId())
                        .orElseThrow(() -> new IllegalStateException("session " + model.sessionId()
                                + ": WorkDelayed for " + e.getWorkId() + ", which is not pending"));
                pending.setDeadline(e.getUntil());
            }
            case WorkRejected e -> {
                // informational: nothing in the state changes
            }
            case SessionEnded e -> {
                state.setPending(List.of());
                Transitions.move(state, Transitions.of(e.getStatus()));
                state.setEndedAt(at);
            }
            default ->
                throw new IllegalArgumentException(
                        "session " + model.sessionId() + ": unknown event type " + type(event));
        }
    }

    private static void start(SessionModel model, SessionEvent event, SessionStarted started) {
        if (model.state().isPresent()) {
            throw new IllegalStateException(
                    "session " + model.sessionId() + " started twice (event " + event.getSeq() + ")");
        }
        if (event.getSeq() != 0) {
            throw new IllegalStateException(
                    "session " + model.sessionId() + ": SessionStarted at seq " + event.getSeq() + " instead of 0");
        }
        SessionState state = SessionState.newBuilder()
                .setSessionId(model.sessionId())
                .setStatus(SessionStatus.AWAITING_MODEL)
                .setAgent(started.getAgent())
                .setAgentVersion(started.getAgentVersion())
                .setDefinitionCreatedAt(started.getDefinitionCreatedAt())
                .setLimits(
                        started.getLimits() == null
                                ? new Limits()
                                : Limits.newBuilder(started.getLimits()).build())
                .setParentSessionId(started.getParentSessionId())
                .setParentWorkId(started.getParentWorkId())
                .setDepth(started.getDepth())
                .setIdempotencyKey(started.getIdempotencyKey())
                .setNextEventSeq(1)
                .setUsage(new Usage(0L, 0L, 0L, 0L))
                .setStartedAt(event.getAt())
                .setDeadline(started.getDeadline())
                .build();
        model.start(state);
        append(
                model,
                state,
                Message.newBuilder()
                        .setRole(Role.USER)
                        .setContent(started.getInput())
                        .build());
    }

    /**
     * A running session's status follows from what it waits for: the model first, then a human (a call awaiting
     * approval, then a question, even while other calls of the turn run), then tools (a sleep is a tool call).
     */
    static SessionStatus running(SessionState state) {
        boolean tools = false;
        boolean approvals = false;
        boolean questions = false;
        for (PendingWork pending : state.getPending()) {
            switch (pending.getKind()) {
                case MODEL, COMPACTION -> {
                    return SessionStatus.AWAITING_MODEL;
                }
                case APPROVAL -> approvals = true;
                case QUESTION -> questions = true;
                case TOOL, SLEEP -> tools = true;
            }
        }
        if (approvals) {
            return SessionStatus.AWAITING_APPROVAL;
        }
        if (questions) {
            return SessionStatus.AWAITING_ANSWER;
        }
        return tools ? SessionStatus.AWAITING_TOOLS : SessionStatus.AWAITING_MODEL;
    }

    /** The pending-work id of a tool call awaiting approval (never a work id: those are {@code w<n>}). */
    static String approvalId(String toolCallId) {
        return "approval:" + toolCallId;
    }

    /** The pending-work id of an {@code ask_human} call waiting for its answer. */
    static String questionId(String toolCallId) {
        return "question:" + toolCallId;
    }

    /** The pending-work id (and timer id) of a {@code sleep} call. */
    static String sleepId(String toolCallId) {
        return "sleep:" + toolCallId;
    }

    private static void append(SessionModel model, SessionState state, Message message) {
        long index = state.getHistorySize();
        model.appendHistory(index, message);
        state.setHistorySize(index + 1);
    }

    private static void writeFile(SessionModel model, SessionState state, FileWritten event, Blobs blobs) {
        String path = event.getPath();
        long old = model.file(path).map(bytes -> (long) bytes.length).orElse(-1L);
        if (event.getDeleted()) {
            if (old >= 0) {
                model.deleteFile(path);
                state.setWorkspaceBytes(state.getWorkspaceBytes() - old);
                state.setWorkspaceFiles(state.getWorkspaceFiles() - 1);
            }
            return;
        }
        byte[] content;
        if (event.getContent() != null) {
            content = bytes(event.getContent());
        } else if (event.getContentHash() != null) {
            String hash = event.getContentHash();
            content = blobs.get(model.sessionId(), hash)
                    .orElseThrow(() -> new IllegalStateException("session " + model.sessionId() + ": content " + hash
                            + " of " + path + " is not on agentlog.blobs"));
            if (!model.hasBlob(hash)) {
                model.addBlob(hash);
                state.setBlobCount(state.getBlobCount() + 1);
            }
        } else {
            throw new IllegalStateException(
                    "session " + model.sessionId() + ": FileWritten for " + path + " carries no content");
        }
        if (content.length != event.getSize()) {
            throw new IllegalStateException("session " + model.sessionId() + ": FileWritten for " + path + " says "
                    + event.getSize() + " bytes but carries " + content.length);
        }
        model.putFile(path, content);
        state.setWorkspaceBytes(state.getWorkspaceBytes() - Math.max(old, 0) + content.length);
        if (old < 0) {
            state.setWorkspaceFiles(state.getWorkspaceFiles() + 1);
        }
    }

    static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }

    private static void addPending(SessionState state, PendingWork work) {
        if (find(state, work.getWorkId()).isPresent()) {
            throw new IllegalStateException(
                    "session " + state.getSessionId() + ": work " + work.getWorkId() + " is already pending");
        }
        List<PendingWork> pending = new ArrayList<>(state.getPending());
        pending.add(work);
        state.setPending(pending);
        state.setNextWorkSeq(Math.max(state.getNextWorkSeq(), workSeq(work.getWorkId()) + 1));
    }

    private static PendingWork takePending(SessionState state, String workId, WorkKind kind) {
        PendingWork found = find(state, workId)
                .filter(p -> p.getKind() == kind)
                .orElseThrow(() -> new IllegalStateException(
                        "session " + state.getSessionId() + ": no " + kind + " work " + workId + " is pending"));
        List<PendingWork> rest = new ArrayList<>(state.getPending());
        rest.remove(found);
        state.setPending(rest);
        return found;
    }

    static Optional<PendingWork> find(SessionState state, String workId) {
        return state.getPending().stream()
                .filter(p -> p.getWorkId().equals(workId))
                .findFirst();
    }

    /** The number of a work id {@code w<n>}; -1 for an id of another shape. */
    static int workSeq(String workId) {
        if (workId.length() < 2 || workId.charAt(0) != 'w') {
            return -1;
        }
        try {
            return Integer.parseInt(workId.substring(1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void addUsage(SessionState state, Usage usage) {
        if (usage == null) {
            return;
        }
        Usage total = state.getUsage();
        total.setInputTokens(total.getInputTokens() + usage.getInputTokens());
        total.setOutputTokens(total.getOutputTokens() + usage.getOutputTokens());
        total.setCostMicros(total.getCostMicros() + usage.getCostMicros());
        total.setCachedInputTokens(total.getCachedInputTokens() + usage.getCachedInputTokens());
    }

    private static String type(SessionEvent event) {
        return event.getEvent() == null ? "null" : event.getEvent().getClass().getSimpleName();
    }
}
