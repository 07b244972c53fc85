package io.agentlog.engine.internal;

import io.agentlog.engine.session.Step;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.telemetry.GenAi;
import io.agentlog.telemetry.SessionTrace;
import io.agentlog.telemetry.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The engine's spans (see docs/observability.md). Each step is a span {@code step <agent>} of its session's trace
 * ({@link SessionTrace}), a child of the session's root span, started before the decision and ended once the step is
 * applied: no span stays open between steps, so a session may live for days and the engine restart between any two of
 * them. The work items a step requests carry its context ({@code traceparent}), so the worker's spans are its
 * children. When a step ends its session, the session's root span {@code invoke_agent <agent>} is exported, with the
 * derived ids, from the session's start to its end. Off ({@link Tracing#OFF}): no span, no allocation, no header.
 */
public final class StepTracing {

    public static final StepTracing OFF = new StepTracing(Tracing.OFF);

    private final Tracing tracing;

    public StepTracing(Tracing tracing) {
        this.tracing = tracing;
    }

    /** Starts the span of a step of {@code sessionId}; {@link StepSpan#NONE} when tracing is off. */
    StepSpan start(String sessionId, Origin origin) {
        if (!tracing.enabled()) {
            return StepSpan.NONE;
        }
        Span span = tracing.tracer()
                .spanBuilder("step")
                .setParent(SessionTrace.of(sessionId).rootContext())
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(GenAi.CONVERSATION_ID, sessionId)
                .setAttribute(GenAi.STEP_ORIGIN, origin instanceof Origin.Input input ? input.topic() : "timer")
                .startSpan();
        return new StepSpan(this, span);
    }

    /** One step's span: its context goes on the step's work records; ended once the step is applied or failed. */
    static final class StepSpan {

        static final StepSpan NONE = new StepSpan(null, Span.getInvalid());

        private final StepTracing owner;
        private final Span span;

        private StepSpan(StepTracing owner, Span span) {
            this.owner = owner;
            this.span = span;
        }

        /** What the step's work records carry: the root context (no header) when tracing is off. */
        Context context() {
            return owner == null ? Context.root() : Context.root().with(span);
        }

        /** The step was applied: name the span after the agent, note the events, and end the session's trace. */
        void applied(Step step) {
            if (owner == null) {
                return;
            }
            List<String> events = new ArrayList<>(step.events().size());
            for (SessionEvent event : step.events()) {
                events.add(event.getEvent().getClass().getSimpleName());
            }
            span.setAttribute(GenAi.STEP_EVENTS, events);
            if (!step.events().isEmpty()) {
                span.setAttribute(GenAi.STEP_SEQ, step.events().getFirst().getSeq());
            }
            Optional<SessionState> state = step.state();
            state.ifPresent(s -> {
                span.updateName("step " + s.getAgent());
                span.setAttribute(GenAi.AGENT_NAME, s.getAgent());
                span.setAttribute(GenAi.SESSION_STATUS, s.getStatus().name());
            });
            for (SessionEvent event : step.events()) {
                if (event.getEvent() instanceof SessionEnded ended && state.isPresent()) {
                    owner.sessionRoot(state.get(), ended, step.now());
                }
            }
        }

        /** The step could not be decided or written (the session is then failed in a step of its own). */
        void failed(String reason) {
            if (owner != null) {
                span.setStatus(StatusCode.ERROR, reason);
                span.setAttribute(GenAi.ERROR_TYPE, "step_failed");
            }
        }

        void end() {
            if (owner != null) {
                span.end();
            }
        }
    }

    /** Exports the session's root span, with the ids every process derives, from its start to {@code endedAt}. */
    private void sessionRoot(SessionState state, SessionEnded ended, long endedAt) {
        String sessionId = state.getSessionId();
        SpanBuilder builder = tracing.tracer()
                .spanBuilder(GenAi.INVOKE_AGENT + " " + state.getAgent())
                .setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(
                        state.getStartedAt() == null
                                ? endedAt
                                : state.getStartedAt().toEpochMilli(),
                        TimeUnit.MILLISECONDS)
                .setAttribute(GenAi.OPERATION_NAME, GenAi.INVOKE_AGENT)
                .setAttribute(GenAi.AGENT_NAME, state.getAgent())
                .setAttribute(GenAi.AGENT_ID, state.getAgent() + "@" + state.getAgentVersion())
                .setAttribute(GenAi.CONVERSATION_ID, sessionId)
                .setAttribute(GenAi.SESSION_STATUS, ended.getStatus().name())
                .setAttribute(GenAi.INPUT_TOKENS, state.getUsage().getInputTokens())
                .setAttribute(GenAi.OUTPUT_TOKENS, state.getUsage().getOutputTokens())
                .setAttribute(GenAi.COST_MICROS, state.getUsage().getCostMicros());
        if (state.getParentSessionId() != null) {
            // a sub-agent: its own trace, linked to its parent session's
            builder.setAttribute(GenAi.PARENT_SESSION_ID, state.getParentSessionId())
                    .addLink(SessionTrace.of(state.getParentSessionId()).rootSpanContext());
        }
        Span root = tracing.startSessionRoot(SessionTrace.of(sessionId), builder);
        if (!ended.getStatus().name().equals("COMPLETED")) {
            root.setAttribute(GenAi.ERROR_TYPE, ended.getStatus().name());
            root.setStatus(
                    StatusCode.ERROR,
                    ended.getError() == null ? ended.getStatus().name() : ended.getError());
        }
        root.end(endedAt, TimeUnit.MILLISECONDS);
    }
}
