package io.agentlog.worker.it;

import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.model.ModelProvider;
import io.agentlog.worker.model.ModelResult;
import io.agentlog.worker.model.ScriptedModelProvider;
import java.util.concurrent.atomic.AtomicInteger;

/** The scripted model under the name {@code counting}, counting its calls. */
final class CountingModel implements ModelProvider {

    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String name() {
        return "counting";
    }

    @Override
    public ModelResult complete(ModelCall call, WorkContext context) {
        calls.incrementAndGet();
        return new ScriptedModelProvider().complete(call, context);
    }
}
