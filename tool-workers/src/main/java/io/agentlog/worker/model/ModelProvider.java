package io.agentlog.worker.model;

import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.TerminalWorkException;

/**
 * A source of model turns, chosen by {@code ModelCall.model.provider}. Implementations are thread-safe: many calls run
 * at once, each on its own virtual thread, so a blocking call is fine.
 */
public interface ModelProvider {

    /** The provider name agent definitions use, e.g. {@code scripted} or {@code openai}. */
    String name();

    /**
     * Asks the model for the next turn.
     *
     * @throws RetryableWorkException when another attempt may succeed (network error, HTTP 5xx or 429)
     * @throws TerminalWorkException when it would not (bad request, missing configuration)
     */
    ModelResult complete(ModelCall call);
}
