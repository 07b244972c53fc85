package io.agentlog.worker.model;

import io.agentlog.schemas.ModelCosts;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.worker.WorkContext;

/** A provider whose results carry their cost from the worker's price table, where it has the call's model. */
record PricedModelProvider(ModelProvider delegate, ModelPrices prices) implements ModelProvider {

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public ModelResult complete(ModelCall call, WorkContext context) {
        return complete(call, context, TokenStream.NONE);
    }

    @Override
    public ModelResult complete(ModelCall call, WorkContext context, TokenStream tokens) {
        ModelResult result = delegate.complete(call, context, tokens);
        return prices.of(call.getModel().getName())
                .map(price -> new ModelResult(result.reply(), ModelCosts.priced(result.usage(), price)))
                .orElse(result);
    }
}
