package io.agentlog.worker.model;

import io.agentlog.worker.WorkerConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The model providers a worker offers, by name. Immutable. */
public final class ModelProviders {

    private final Map<String, ModelProvider> byName;

    private ModelProviders(Map<String, ModelProvider> byName) {
        this.byName = byName;
    }

    public static ModelProviders of(List<ModelProvider> providers) {
        Map<String, ModelProvider> byName = new LinkedHashMap<>();
        for (ModelProvider provider : providers) {
            if (byName.putIfAbsent(provider.name(), provider) != null) {
                throw new IllegalArgumentException("two model providers are named '" + provider.name() + "'");
            }
        }
        return new ModelProviders(Map.copyOf(byName));
    }

    public static ModelProviders of(ModelProvider... providers) {
        return of(List.of(providers));
    }

    /**
     * The built-in providers: {@code scripted}, {@code openai} and {@code anthropic}, configured from the worker's settings, their
     * results priced by the worker's price table.
     */
    public static ModelProviders defaults(WorkerConfig config) {
        return of(
                        new ScriptedModelProvider(),
                        new OpenAiModelProvider(config.modelEndpoints(), config.modelTimeout()),
                        new AnthropicModelProvider(config.modelEndpoints(), config.modelTimeout()))
                .pricedBy(config.modelPrices());
    }

    /** These providers, their results priced by {@code prices} where it has the call's model. */
    public ModelProviders pricedBy(ModelPrices prices) {
        if (prices.byModel().isEmpty()) {
            return this;
        }
        return of(byName.values().stream()
                .map(provider -> (ModelProvider) new PricedModelProvider(provider, prices))
                .toList());
    }

    public Optional<ModelProvider> find(String name) {
        return Optional.ofNullable(name == null ? null : byName.get(name));
    }

    /** Provider names, sorted, for error messages. */
    public List<String> names() {
        return byName.keySet().stream().sorted().toList();
    }
}
