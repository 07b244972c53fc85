package io.agentlog.worker.model;

import io.agentlog.schemas.avro.ModelReply;
import io.agentlog.schemas.avro.Usage;
import java.util.Objects;

/** A model's turn and what it cost. */
public record ModelResult(ModelReply reply, Usage usage) {

    public ModelResult {
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(usage, "usage");
    }
}
