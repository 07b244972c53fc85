package io.agentlog.engine.session;

import static io.agentlog.schemas.avro.SessionStatus.AWAITING_ANSWER;
import static io.agentlog.schemas.avro.SessionStatus.AWAITING_APPROVAL;
import static io.agentlog.schemas.avro.SessionStatus.AWAITING_MODEL;
import static io.agentlog.schemas.avro.SessionStatus.AWAITING_TOOLS;
import static io.agentlog.schemas.avro.SessionStatus.BUDGET_EXCEEDED;
import static io.agentlog.schemas.avro.SessionStatus.CANCELLED;
import static io.agentlog.schemas.avro.SessionStatus.COMPLETED;
import static io.agentlog.schemas.avro.SessionStatus.FAILED;

import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.SessionStatus;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** The session state machine's transitions, as a table. */
final class Transitions {

    private static final Set<SessionStatus> TERMINAL = EnumSet.of(COMPLETED, FAILED, CANCELLED, BUDGET_EXCEEDED);

    private static final Map<SessionStatus, Set<SessionStatus>> ALLOWED = Map.of(
            AWAITING_MODEL,
                    EnumSet.of(
                            AWAITING_MODEL,
                            AWAITING_TOOLS,
                            AWAITING_APPROVAL,
                            AWAITING_ANSWER,
                            COMPLETED,
                            FAILED,
                            CANCELLED,
                            BUDGET_EXCEEDED),
            AWAITING_TOOLS, running(),
            AWAITING_APPROVAL, running(),
            AWAITING_ANSWER, running(),
            COMPLETED, EnumSet.noneOf(SessionStatus.class),
            FAILED, EnumSet.noneOf(SessionStatus.class),
            CANCELLED, EnumSet.noneOf(SessionStatus.class),
            BUDGET_EXCEEDED, EnumSet.noneOf(SessionStatus.class));

    private Transitions() {}

    /** Waiting on tools or on a human: the turn goes on (to tools, humans or the model) or the session ends early. */
    private static Set<SessionStatus> running() {
        return EnumSet.of(
                AWAITING_TOOLS, AWAITING_APPROVAL, AWAITING_ANSWER, AWAITING_MODEL, FAILED, CANCELLED, BUDGET_EXCEEDED);
    }

    static boolean isTerminal(SessionStatus status) {
        return TERMINAL.contains(status);
    }

    static void move(SessionState state, SessionStatus to) {
        if (!ALLOWED.get(state.getStatus()).contains(to)) {
            throw new IllegalStateTransitionException(state.getSessionId(), state.getStatus(), to);
        }
        state.setStatus(to);
    }

    static SessionStatus of(ResultStatus status) {
        return switch (status) {
            case COMPLETED -> COMPLETED;
            case FAILED -> FAILED;
            case CANCELLED -> CANCELLED;
            case BUDGET_EXCEEDED -> BUDGET_EXCEEDED;
        };
    }
}
