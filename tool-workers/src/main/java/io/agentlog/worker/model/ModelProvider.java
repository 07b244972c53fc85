package io.agentlog.worker.model;

import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;
import io.agentlog.worker.WorkContext;

/**
 * A source of model turns, chosen by {@code ModelCall.model.provider}. Implementations are thread-safe: many calls run
 * at once, each on its own virtual thread, so a blocking call is fine.
 */
public interface ModelProvider {

    /** The provider name agent definitions use, e.g. {@code scripted} or {@code openai}. */
    String name();

    /**
     * Asks the model for the next turn, once: the worker decides whether and when to try again.
     *
     * @param context the work item (session, work id, delivery count, worker) and, on a redelivery, how far the worker
     *     looked for a result of an earlier delivery before calling
     * @throws RetryableWorkException when another attempt may succeed (network error, HTTP 5xx or 429), with the
     *     source's {@code Retry-After} if it gave one
     * @throws TerminalWorkException when it would not (bad request, unknown endpoint, missing configuration)
     */
    ModelResult complete(ModelCall call, WorkContext context);

    /**
     * {@link #complete(ModelCall, WorkContext)}, putting the answer's text into {@code tokens} as it is written (for
     * people watching the session). A provider that cannot stream keeps this default, which streams nothing.
     */
    default ModelResult complete(ModelCall call, WorkContext context, TokenStream tokens) {
        return complete(call, context);
    }
}
