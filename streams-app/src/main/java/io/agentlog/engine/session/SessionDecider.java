package io.agentlog.engine.session;

import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.WorkResult;
import java.util.Optional;

/**
 * The session state machine's decisions: what one input (a task, a control command, a work result, a due timer)
 * does to one session, as journal events and outputs on a {@link Step}. Pure but for the definitions and pools it
 * looks up: it writes no store and sends nothing, so it runs without Kafka, and a decision that throws leaves the
 * session as it was.
 */
public final class SessionDecider {

    private final Turns turns;
    private final TaskDecision tasks;
    private final ControlDecision control;
    private final WorkResultDecision results;
    private final TimerDecision timers;

    public SessionDecider(EngineConfig config, Definitions definitions, Pools pools, Spending spending) {
        this.turns = new Turns(config, definitions, pools, spending);
        ToolDispatch tools = new ToolDispatch(turns);
        this.tasks = new TaskDecision(turns, new ForkDecision(turns, tools));
        this.control = new ControlDecision(turns, tools);
        this.results = new WorkResultDecision(turns, tools);
        this.timers = new TimerDecision(turns);
    }

    public void task(Step step, TaskSubmitted task) {
        tasks.decide(step, task);
    }

    public void control(Step step, ControlCommand command) {
        control.decide(step, command);
    }

    public void workResult(Step step, WorkResult result) {
        results.decide(step, result);
    }

    public void timer(Step step, String timerId) {
        timers.decide(step, timerId);
    }

    /**
     * Ends a running session FAILED with the reason: for a step that could not be decided or applied, so the session
     * gets a clear result instead of waiting forever. Does nothing to a session that does not exist or has ended.
     */
    public void fail(Step step, String reason) {
        Optional<SessionState> state = step.state();
        if (state.isPresent() && !Transitions.isTerminal(state.get().getStatus())) {
            turns.end(step, ResultStatus.FAILED, null, reason);
        }
    }

    /**
     * Like {@link #fail} for a task whose start failed: the session starts without a definition (version 0) and
     * ends FAILED with the reason, so its submitter gets a result. A session that exists is left as it is.
     */
    public void failTask(Step step, TaskSubmitted task, String reason) {
        if (step.state().isPresent()) {
            fail(step, reason);
            return;
        }
        tasks.startFailed(step, task, reason);
    }
}
