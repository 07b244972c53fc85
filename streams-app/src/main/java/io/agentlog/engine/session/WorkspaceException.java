package io.agentlog.engine.session;

/** A file tool was called with arguments that cannot work; the message goes back to the model. */
final class WorkspaceException extends RuntimeException {

    WorkspaceException(String message) {
        super(message);
    }
}
