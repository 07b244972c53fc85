package io.agentlog.engine.session;

import io.agentlog.schemas.SessionIds;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.WorkResult;
import org.apache.avro.specific.SpecificRecord;

/**
 * Which session an input record is for, before any session state is read. A keyless task gets a session id
 * (derived from its idempotency key when it has one) and a keyless control command its own session id: both are
 * written back keyed, so they land on their session's partition. Records whose key and session id disagree, and
 * records of no known type, cannot be used.
 */
public final class InputRouting {

    /** Where an input goes. */
    public sealed interface Route {

        /** Decide it for this session. */
        record ToSession(String sessionId) implements Route {}

        /** Write it back to its topic under this key (the engine reads it again from its session's partition). */
        record Resubmit(String key, SpecificRecord value) implements Route {}

        /** The record goes to the DLQ with the reason. */
        record Reject(String reason) implements Route {}
    }

    private InputRouting() {}

    public static Route of(String key, SpecificRecord value) {
        boolean keyless = key == null || key.isBlank();
        return switch (value) {
            case null -> new Route.Reject("empty record (null value) for key '" + key + "'");
            case TaskSubmitted task -> keyless ? rekey(task) : task(key, task);
            case ControlCommand command -> {
                if (keyless) {
                    yield command.getSessionId().isBlank()
                            ? new Route.Reject("control command has neither a record key nor a sessionId")
                            : new Route.Resubmit(command.getSessionId(), command);
                }
                yield !command.getSessionId().isBlank()
                                && !command.getSessionId().equals(key)
                        ? new Route.Reject("control record key '" + key + "' and its sessionId '"
                                + command.getSessionId() + "' differ")
                        : new Route.ToSession(key);
            }
            case WorkResult result ->
                key == null || !key.equals(result.getSessionId())
                        ? new Route.Reject("work result " + result.getWorkId() + " has key '" + key
                                + "' but session id '" + result.getSessionId()
                                + "'; workers must key results by session id")
                        : new Route.ToSession(key);
            default ->
                new Route.Reject("unexpected record type " + value.getClass().getSimpleName());
        };
    }

    private static Route task(String key, TaskSubmitted task) {
        if (!task.getSessionId().isBlank() && !task.getSessionId().equals(key)) {
            return new Route.Reject("task record key '" + key + "' and its sessionId '" + task.getSessionId()
                    + "' differ; leave sessionId empty or equal to the key");
        }
        if (!SessionIds.VALID.matcher(key).matches()) {
            return new Route.Reject("session id '" + key + "' is invalid: it must match " + SessionIds.VALID.pattern());
        }
        return new Route.ToSession(key);
    }

    private static Route rekey(TaskSubmitted task) {
        try {
            String sessionId = SessionIds.of(task.getSessionId(), task.getIdempotencyKey());
            TaskSubmitted keyed =
                    TaskSubmitted.newBuilder(task).setSessionId(sessionId).build();
            return new Route.Resubmit(sessionId, keyed);
        } catch (IllegalArgumentException e) {
            return new Route.Reject(e.getMessage());
        }
    }
}
