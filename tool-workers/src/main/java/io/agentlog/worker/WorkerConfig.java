package io.agentlog.worker;

import static java.util.stream.Collectors.toSet;

import io.agentlog.schemas.Env;
import io.agentlog.schemas.KafkaClientProperties;
import io.agentlog.schemas.Topics;
import io.agentlog.telemetry.TracingConfig;
import io.agentlog.worker.model.Credential;
import io.agentlog.worker.model.ModelEndpoint;
import io.agentlog.worker.model.ModelEndpoints;
import io.agentlog.worker.model.ModelPrices;
import io.agentlog.worker.model.OpenAiModelProvider;
import io.agentlog.worker.sandbox.SandboxLimits;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything a worker process needs, read once at start from {@code AGENTLOG_*} environment variables
 * ({@link #fromEnv(Map)}) and validated there; error messages quote the bad value.
 *
 * @param bootstrapServers Kafka bootstrap servers ({@value #BOOTSTRAP_SERVERS})
 * @param pools the worker pools this process serves, one share group each ({@value #POOLS})
 * @param workerId this process's id, written into every result ({@value #WORKER_ID})
 * @param httpAllowList hosts ({@code host}) or endpoints ({@code host:port}) that {@code http_fetch} may reach;
 *     empty means none ({@value #HTTP_ALLOW})
 * @param modelEndpoints where model calls go and with which key: the default {@code openai} endpoint
 *     ({@value #OPENAI_BASE_URL}, default {@value ModelEndpoint#DEFAULT_OPENAI_BASE_URL}; key from
 *     {@value #OPENAI_API_KEY}, else {@value #OPENAI_API_KEY_FALLBACK}; streaming unless {@value #OPENAI_STREAM} is
 *     {@code false}) and the named endpoints of
 *     {@value #MODEL_ENDPOINTS} or the file {@value #MODEL_ENDPOINTS_FILE} (see {@link ModelEndpoints}); agent
 *     definitions choose one by name and never see a URL or a key
 * @param maxConcurrency work items run at once per pool ({@value #MAX_CONCURRENCY})
 * @param consumersPerPool share consumers per pool ({@value #CONSUMERS_PER_POOL}); each works on one batch of up to
 *     {@link #batchSize()} items at a time and takes new work only when its whole batch is done, so more consumers
 *     mean less waiting behind a slow item, at the cost of a group member (and a network thread) each
 * @param maxDeliveries the share group's delivery limit ({@code share.delivery.count.limit}, broker default 5): a
 *     transiently failing item on its last delivery is answered with an error instead of released, so its session
 *     does not wait for a result that never comes ({@value #MAX_DELIVERIES})
 * @param retryBackoff the first wait after a transient failure, doubled per attempt up to 30 s: before a tool
 *     call's item is released for redelivery, and between a model call's attempts when the endpoint sent no
 *     {@code Retry-After} ({@value #RETRY_BACKOFF_MS})
 * @param modelTimeout time limit of one model call attempt ({@value #MODEL_TIMEOUT_MS})
 * @param modelMaxRetryWait the most a model call waits in all between its attempts (rate limits, transient failures)
 *     within one delivery; past it the call is answered {@code ERROR} ({@value #MODEL_MAX_RETRY_WAIT_MS})
 * @param shutdownGrace how long {@link Worker#close()} lets running items finish ({@value #SHUTDOWN_GRACE_MS})
 * @param sandboxLimits limits of the {@code sandbox} pool's code execution ({@code AGENTLOG_SANDBOX_*}, see
 *     {@link SandboxLimits})
 * @param sandboxConcurrency sandboxed runs of the {@code sandbox} pool at once ({@value #SANDBOX_CONCURRENCY}; by
 *     default twice the processors, at most as many as half the machine's memory holds at the sandbox memory limit,
 *     at most {@code maxConcurrency}): code execution is bound by CPU and memory, not by waiting, so hundreds at once would
 *     only compete for two cores, or exhaust the memory; the pool gets as many share consumers, at most
 *     {@code consumersPerPool}
 * @param modelPrices the price table that turns a model call's usage into its cost ({@value #MODEL_PRICES} or the
 *     file {@value #MODEL_PRICES_FILE}, see {@link ModelPrices}); it wins over a definition's {@code model.price}
 * @param metrics whether and where the worker serves its Prometheus metrics ({@code AGENTLOG_WORKER_METRICS_*}, see
 *     {@link WorkerMetricsConfig}); they are counted either way
 * @param kafkaProperties Kafka client properties for every client of the worker, e.g. SASL and TLS settings
 *     ({@value KafkaClientProperties#ENV} names a properties file; see {@link KafkaClientProperties})
 * @param tracing whether and where the worker exports its OpenTelemetry traces (the standard {@code OTEL_*}
 *     variables, see {@link TracingConfig}; off unless an OTLP endpoint is set)
 */
public record WorkerConfig(
        String bootstrapServers,
        List<String> pools,
        String workerId,
        Set<String> httpAllowList,
        ModelEndpoints modelEndpoints,
        int maxConcurrency,
        int consumersPerPool,
        int maxDeliveries,
        Duration retryBackoff,
        Duration modelTimeout,
        Duration modelMaxRetryWait,
        Duration shutdownGrace,
        SandboxLimits sandboxLimits,
        int sandboxConcurrency,
        ModelPrices modelPrices,
        WorkerMetricsConfig metrics,
        Map<String, String> kafkaProperties,
        TracingConfig tracing) {

    /** The {@code service.name} of the worker's spans unless {@code OTEL_SERVICE_NAME} says otherwise. */
    public static final String SERVICE_NAME = "agentlog-worker";

    public static final String BOOTSTRAP_SERVERS = "AGENTLOG_BOOTSTRAP_SERVERS";
    public static final String POOLS = "AGENTLOG_POOLS";
    public static final String WORKER_ID = "AGENTLOG_WORKER_ID";
    public static final String HTTP_ALLOW = "AGENTLOG_HTTP_ALLOW";
    public static final String OPENAI_BASE_URL = "AGENTLOG_OPENAI_BASE_URL";
    public static final String OPENAI_API_KEY = "AGENTLOG_OPENAI_API_KEY";
    public static final String OPENAI_API_KEY_FALLBACK = "OPENAI_API_KEY";
    public static final String OPENAI_STREAM = "AGENTLOG_OPENAI_STREAM";
    public static final String MODEL_ENDPOINTS = "AGENTLOG_MODEL_ENDPOINTS";
    public static final String MODEL_ENDPOINTS_FILE = "AGENTLOG_MODEL_ENDPOINTS_FILE";
    public static final String MODEL_PRICES = "AGENTLOG_MODEL_PRICES";
    public static final String SANDBOX_CONCURRENCY = "AGENTLOG_SANDBOX_CONCURRENCY";
    public static final String MODEL_PRICES_FILE = "AGENTLOG_MODEL_PRICES_FILE";
    public static final String MAX_CONCURRENCY = "AGENTLOG_MAX_CONCURRENCY";
    public static final String CONSUMERS_PER_POOL = "AGENTLOG_CONSUMERS_PER_POOL";
    public static final String MAX_DELIVERIES = "AGENTLOG_MAX_DELIVERIES";
    public static final String RETRY_BACKOFF_MS = "AGENTLOG_RETRY_BACKOFF_MS";
    public static final String MODEL_TIMEOUT_MS = "AGENTLOG_MODEL_TIMEOUT_MS";
    public static final String MODEL_MAX_RETRY_WAIT_MS = "AGENTLOG_MODEL_MAX_RETRY_WAIT_MS";
    public static final String SHUTDOWN_GRACE_MS = "AGENTLOG_SHUTDOWN_GRACE_MS";

    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    public static final List<String> DEFAULT_POOLS = Topics.DEFAULT_POOLS;
    /**
     * Model and tool calls mostly wait on the network, so many run at once on virtual threads: 32 per consumer. A
     * consumer's share fetch takes up to that many items at once, so under load a fetch, its acknowledgements and the
     * broker's share-state write serve 32 items instead of 4 (with 64: 1,680 steps/s, 1.15 CPU-ms per step; with 512:
     * 3,240-3,540 and 0.53-0.58, in {@code bench throughput}); when idle a fetch returns the one item there is.
     */
    public static final int DEFAULT_MAX_CONCURRENCY = 512;
    /** The default consumers per pool, at most {@code maxConcurrency}. */
    public static final int DEFAULT_CONSUMERS_PER_POOL = 16;

    public static final int DEFAULT_MAX_DELIVERIES = 5;
    public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MODEL_TIMEOUT = Duration.ofMinutes(5);
    /**
     * Rate limits of hosted models commonly last seconds to a few minutes (a per-minute token budget); 15 minutes
     * rides out a long one without holding a session for an hour.
     */
    public static final Duration DEFAULT_MODEL_MAX_RETRY_WAIT = Duration.ofMinutes(15);

    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

    private static final Pattern ALLOW_ENTRY =
            Pattern.compile("(?<host>\\[[0-9a-f:.]+]|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)(:(?<port>[0-9]{1,5}))?");

    public WorkerConfig {
        bootstrapServers = requireText(bootstrapServers, BOOTSTRAP_SERVERS);
        pools = List.copyOf(new LinkedHashSet<>(Objects.requireNonNull(pools, "pools")));
        if (pools.isEmpty()) {
            throw new IllegalArgumentException(POOLS + " must name at least one pool, but was empty");
        }
        pools.forEach(WorkerConfig::validPool);
        workerId = requireText(workerId, WORKER_ID);
        httpAllowList = Set.copyOf(Objects.requireNonNull(httpAllowList, "httpAllowList"));
        httpAllowList.forEach(WorkerConfig::validAllowEntry);
        Objects.requireNonNull(modelEndpoints, "modelEndpoints");
        if (modelEndpoints.find(OpenAiModelProvider.NAME, "").isEmpty()) {
            throw new IllegalArgumentException("the model endpoints " + modelEndpoints + " lack the default "
                    + OpenAiModelProvider.NAME + " endpoint");
        }
        requireAtLeast(maxConcurrency, 1, MAX_CONCURRENCY);
        requireAtLeast(sandboxConcurrency, 1, SANDBOX_CONCURRENCY);
        requireAtLeast(consumersPerPool, 1, CONSUMERS_PER_POOL);
        if (consumersPerPool > maxConcurrency) {
            throw new IllegalArgumentException(CONSUMERS_PER_POOL + " must not exceed " + MAX_CONCURRENCY + " ("
                    + maxConcurrency + "), but was " + consumersPerPool);
        }
        requireAtLeast(maxDeliveries, 1, MAX_DELIVERIES);
        requireNotNegative(retryBackoff, RETRY_BACKOFF_MS);
        requireNotNegative(modelTimeout, MODEL_TIMEOUT_MS);
        if (modelTimeout.isZero()) {
            throw new IllegalArgumentException(MODEL_TIMEOUT_MS + " must be greater than 0, but was 0");
        }
        requireNotNegative(modelMaxRetryWait, MODEL_MAX_RETRY_WAIT_MS);
        requireNotNegative(shutdownGrace, SHUTDOWN_GRACE_MS);
        Objects.requireNonNull(sandboxLimits, "sandboxLimits");
        Objects.requireNonNull(modelPrices, "modelPrices");
        Objects.requireNonNull(metrics, "metrics");
        kafkaProperties = Map.copyOf(kafkaProperties);
        Objects.requireNonNull(tracing, "tracing");
    }

    /** The settings of a Kafka client of the worker: the client properties, then the bootstrap servers. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new java.util.HashMap<>(kafkaProperties);
        props.put("bootstrap.servers", bootstrapServers);
        return props;
    }

    /** The defaults, for a broker at {@code bootstrapServers}. */
    public static WorkerConfig defaults(String bootstrapServers) {
        return builder().bootstrapServers(bootstrapServers).build();
    }

    /** Reads the configuration from environment variables (blank values count as unset). */
    public static WorkerConfig fromEnv(Map<String, String> env) {
        Env in = new Env(env);
        Builder builder = builder();
        in.text(BOOTSTRAP_SERVERS).ifPresent(builder::bootstrapServers);
        in.text(POOLS).map(Env::commaList).ifPresent(builder::pools);
        in.text(WORKER_ID).ifPresent(builder::workerId);
        in.text(HTTP_ALLOW)
                .map(list -> Env.commaList(list).stream()
                        .map(e -> e.toLowerCase(Locale.ROOT))
                        .collect(toSet()))
                .ifPresent(builder::httpAllowList);
        builder.openAiBaseUrl(in.text(OPENAI_BASE_URL));
        builder.openAiCredential(in.text(OPENAI_API_KEY)
                .map(key -> Credential.of(key, "environment variable " + OPENAI_API_KEY))
                .or(() -> in.text(OPENAI_API_KEY_FALLBACK)
                        .map(key -> Credential.of(key, "environment variable " + OPENAI_API_KEY_FALLBACK))));
        builder.openAiStream(in.bool(OPENAI_STREAM, true));
        builder.modelEndpoints(namedEndpoints(in, env));
        builder.maxConcurrency(in.integer(MAX_CONCURRENCY, DEFAULT_MAX_CONCURRENCY));
        if (in.text(CONSUMERS_PER_POOL).isPresent()) {
            builder.consumersPerPool(in.integer(CONSUMERS_PER_POOL, DEFAULT_CONSUMERS_PER_POOL));
        }
        builder.maxDeliveries(in.integer(MAX_DELIVERIES, DEFAULT_MAX_DELIVERIES));
        builder.retryBackoff(in.millis(RETRY_BACKOFF_MS, DEFAULT_RETRY_BACKOFF));
        builder.modelTimeout(in.millis(MODEL_TIMEOUT_MS, DEFAULT_MODEL_TIMEOUT));
        builder.modelMaxRetryWait(in.millis(MODEL_MAX_RETRY_WAIT_MS, DEFAULT_MODEL_MAX_RETRY_WAIT));
        builder.shutdownGrace(in.millis(SHUTDOWN_GRACE_MS, DEFAULT_SHUTDOWN_GRACE));
        builder.sandboxLimits(SandboxLimits.fromEnv(env));
        if (in.text(SANDBOX_CONCURRENCY).isPresent()) {
            builder.sandboxConcurrency(in.integer(SANDBOX_CONCURRENCY, 1));
        }
        inlineOrFile(in, MODEL_PRICES, MODEL_PRICES_FILE)
                .map(setting -> ModelPrices.parse(setting.text(), setting.where()))
                .ifPresent(builder::modelPrices);
        builder.metrics(WorkerMetricsConfig.fromEnv(in));
        builder.kafkaProperties(KafkaClientProperties.fromEnv(env));
        builder.tracing(TracingConfig.fromEnv(env, SERVICE_NAME));
        return builder.build();
    }

    /** The named endpoints of {@value #MODEL_ENDPOINTS} or of the file {@value #MODEL_ENDPOINTS_FILE}. */
    private static List<ModelEndpoint> namedEndpoints(Env in, Map<String, String> env) {
        return inlineOrFile(in, MODEL_ENDPOINTS, MODEL_ENDPOINTS_FILE)
                .map(setting -> ModelEndpoints.parse(setting.text(), setting.where(), env))
                .orElse(List.of());
    }

    /** A setting given inline or as a file, and where it came from (for error messages). */
    private record Setting(String text, String where) {}

    private static Optional<Setting> inlineOrFile(Env in, String inlineName, String fileName) {
        Optional<String> inline = in.text(inlineName);
        Optional<String> file = in.text(fileName);
        if (inline.isPresent() && file.isPresent()) {
            throw new IllegalArgumentException(
                    "set " + inlineName + " or " + fileName + ", not both (the file was '" + file.get() + "')");
        }
        if (inline.isPresent()) {
            return Optional.of(new Setting(inline.get(), inlineName));
        }
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Setting(
                    java.nio.file.Files.readString(java.nio.file.Path.of(file.get())),
                    fileName + " '" + file.get() + "'"));
        } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(
                    fileName + " names '" + file.get() + "', which cannot be read: " + e.getMessage());
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .bootstrapServers(bootstrapServers)
                .pools(pools)
                .workerId(workerId)
                .httpAllowList(httpAllowList)
                .openAiBaseUrl(Optional.of(defaultOpenAi().baseUrl().toString()))
                .openAiCredential(defaultOpenAi().apiKey())
                .modelEndpoints(modelEndpoints.all().stream()
                        .filter(e -> !e.name().isEmpty())
                        .toList())
                .maxConcurrency(maxConcurrency)
                .consumersPerPool(consumersPerPool)
                .maxDeliveries(maxDeliveries)
                .retryBackoff(retryBackoff)
                .modelTimeout(modelTimeout)
                .modelMaxRetryWait(modelMaxRetryWait)
                .shutdownGrace(shutdownGrace)
                .sandboxLimits(sandboxLimits)
                .sandboxConcurrency(sandboxConcurrency)
                .modelPrices(modelPrices)
                .metrics(metrics)
                .kafkaProperties(kafkaProperties)
                .tracing(tracing);
    }

    /** Builds a config from the defaults; {@link #build()} validates like {@link #fromEnv(Map)}. */
    public static final class Builder {
        private String bootstrapServers = DEFAULT_BOOTSTRAP_SERVERS;
        private List<String> pools = DEFAULT_POOLS;
        private String workerId;
        private Set<String> httpAllowList = Set.of();
        private Optional<String> openAiBaseUrl = Optional.empty();
        private Optional<Credential> openAiApiKey = Optional.empty();
        private boolean openAiStream = true;
        private List<ModelEndpoint> namedEndpoints = List.of();
        private int maxConcurrency = DEFAULT_MAX_CONCURRENCY;
        private Integer consumersPerPool;
        private int maxDeliveries = DEFAULT_MAX_DELIVERIES;
        private Duration retryBackoff = DEFAULT_RETRY_BACKOFF;
        private Duration modelTimeout = DEFAULT_MODEL_TIMEOUT;
        private Duration modelMaxRetryWait = DEFAULT_MODEL_MAX_RETRY_WAIT;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
        private SandboxLimits sandboxLimits = SandboxLimits.defaults();
        private ModelPrices modelPrices = ModelPrices.NONE;
        private Integer sandboxConcurrency;
        private WorkerMetricsConfig metrics = WorkerMetricsConfig.OFF;
        private Map<String, String> kafkaProperties = KafkaClientProperties.none();
        private TracingConfig tracing = TracingConfig.off(SERVICE_NAME);

        private Builder() {}

        public Builder kafkaProperties(Map<String, String> value) {
            this.kafkaProperties = value;
            return this;
        }

        public Builder bootstrapServers(String value) {
            this.bootstrapServers = value;
            return this;
        }

        public Builder pools(List<String> value) {
            this.pools = value;
            return this;
        }

        public Builder workerId(String value) {
            this.workerId = value;
            return this;
        }

        public Builder httpAllowList(Set<String> value) {
            this.httpAllowList = value;
            return this;
        }

        /** The default {@code openai} endpoint's base URL (unset: {@value ModelEndpoint#DEFAULT_OPENAI_BASE_URL}). */
        public Builder openAiBaseUrl(Optional<String> value) {
            this.openAiBaseUrl = value;
            return this;
        }

        /** The default {@code openai} endpoint's key, given by the code that embeds the worker. */
        public Builder openAiApiKey(Optional<String> value) {
            return openAiCredential(value.map(key -> Credential.of(key, "the worker's configuration")));
        }

        /** The default {@code openai} endpoint's key, with where it came from. */
        public Builder openAiCredential(Optional<Credential> value) {
            this.openAiApiKey = value;
            return this;
        }

        /** Whether the default {@code openai} endpoint streams its answers (unset: it does). */
        public Builder openAiStream(boolean value) {
            this.openAiStream = value;
            return this;
        }

        /** Named endpoints, besides the default one. */
        public Builder modelEndpoints(List<ModelEndpoint> value) {
            this.namedEndpoints = List.copyOf(value);
            return this;
        }

        public Builder maxConcurrency(int value) {
            this.maxConcurrency = value;
            return this;
        }

        /** Unset: {@value #DEFAULT_CONSUMERS_PER_POOL}, or {@code maxConcurrency} if that is smaller. */
        public Builder consumersPerPool(int value) {
            this.consumersPerPool = value;
            return this;
        }

        public Builder maxDeliveries(int value) {
            this.maxDeliveries = value;
            return this;
        }

        public Builder retryBackoff(Duration value) {
            this.retryBackoff = value;
            return this;
        }

        public Builder modelTimeout(Duration value) {
            this.modelTimeout = value;
            return this;
        }

        public Builder modelMaxRetryWait(Duration value) {
            this.modelMaxRetryWait = value;
            return this;
        }

        public Builder shutdownGrace(Duration value) {
            this.shutdownGrace = value;
            return this;
        }

        public Builder sandboxLimits(SandboxLimits value) {
            this.sandboxLimits = value;
            return this;
        }

        public WorkerConfig build() {
            return new WorkerConfig(
                    bootstrapServers,
                    pools,
                    workerId == null ? defaultWorkerId() : workerId,
                    httpAllowList,
                    endpoints(),
                    maxConcurrency,
                    consumersPerPool == null ? Math.min(DEFAULT_CONSUMERS_PER_POOL, maxConcurrency) : consumersPerPool,
                    maxDeliveries,
                    retryBackoff,
                    modelTimeout,
                    modelMaxRetryWait,
                    shutdownGrace,
                    sandboxLimits,
                    sandboxConcurrency == null
                            ? defaultSandboxConcurrency(sandboxLimits, maxConcurrency)
                            : sandboxConcurrency,
                    modelPrices,
                    metrics,
                    kafkaProperties,
                    tracing);
        }

        /** Unset: twice the processors, at most what half the memory holds at the sandbox memory limit. */
        public Builder sandboxConcurrency(int value) {
            this.sandboxConcurrency = value;
            return this;
        }

        public Builder modelPrices(ModelPrices value) {
            this.modelPrices = value;
            return this;
        }

        /** Where the worker exports its traces; unset: off. */
        public Builder tracing(TracingConfig value) {
            this.tracing = value;
            return this;
        }

        /** Where the worker serves its metrics; unset: {@link WorkerMetricsConfig#OFF}. */
        public Builder metrics(WorkerMetricsConfig value) {
            this.metrics = value;
            return this;
        }

        private ModelEndpoints endpoints() {
            List<ModelEndpoint> all = new java.util.ArrayList<>();
            all.add(ModelEndpoint.defaultOf(
                    OpenAiModelProvider.NAME,
                    ModelEndpoint.baseUrl(openAiBaseUrl.orElse(ModelEndpoint.DEFAULT_OPENAI_BASE_URL), OPENAI_BASE_URL),
                    openAiApiKey,
                    openAiStream));
            all.addAll(namedEndpoints);
            return new ModelEndpoints(all);
        }
    }

    /** The default {@code openai} endpoint; every config has one. */
    public ModelEndpoint defaultOpenAi() {
        return modelEndpoints.find(OpenAiModelProvider.NAME, "").orElseThrow();
    }

    /** Items one consumer works on at once: {@code maxConcurrency / consumersPerPool}, rounded up. */
    public int batchSize() {
        return batchSize(Topics.MODEL_POOL);
    }

    /** Work items of the pool run at once: {@code sandboxConcurrency} for the sandbox pool, else maxConcurrency. */
    public int concurrency(String pool) {
        return Topics.SANDBOX_POOL.equals(pool) ? Math.min(sandboxConcurrency, maxConcurrency) : maxConcurrency;
    }

    /** Share consumers of the pool: {@code consumersPerPool}, at most its concurrency. */
    public int consumers(String pool) {
        return Math.min(consumersPerPool, concurrency(pool));
    }

    /** Items one consumer of the pool works on at once: its concurrency over its consumers, rounded up. */
    public int batchSize(String pool) {
        return (concurrency(pool) + consumers(pool) - 1) / consumers(pool);
    }

    /** Twice the processors, at most what half the memory holds at the sandbox memory limit, at most {@code max}. */
    static int defaultSandboxConcurrency(SandboxLimits limits, int max) {
        long memoryMiB = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() / (1024 * 1024)
                : Long.MAX_VALUE;
        long byMemory = Math.max(1, memoryMiB / 2 / limits.memoryMiB());
        long byCpu = 2L * Runtime.getRuntime().availableProcessors();
        return (int) Math.max(1, Math.min(max, Math.min(byCpu, byMemory)));
    }

    /** Never prints an API key. */
    @Override
    public String toString() {
        return "WorkerConfig[bootstrapServers=" + bootstrapServers + ", pools=" + pools + ", workerId=" + workerId
                + ", httpAllowList=" + httpAllowList + ", modelEndpoints=" + modelEndpoints
                + ", maxConcurrency=" + maxConcurrency + ", consumersPerPool=" + consumersPerPool
                + " (batches of " + batchSize() + ")" + ", maxDeliveries=" + maxDeliveries
                + ", retryBackoff=" + retryBackoff + ", modelTimeout=" + modelTimeout
                + ", modelMaxRetryWait=" + modelMaxRetryWait
                + ", shutdownGrace=" + shutdownGrace + ", sandboxLimits=" + sandboxLimits + ", sandboxConcurrency="
                + sandboxConcurrency + ", modelPrices="
                + modelPrices.byModel().keySet() + ", metrics=" + metrics + ", tracing=" + tracing
                + ", kafkaProperties=" + kafkaProperties.keySet() + "]";
    }

    private static String defaultWorkerId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "worker";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank, but was '" + value + "'");
        }
        return value.strip();
    }

    private static void requireAtLeast(int value, int min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", but was " + value);
        }
    }

    private static void requireNotNegative(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, but was " + value.toMillis() + " ms");
        }
    }

    private static void validPool(String pool) {
        try {
            Topics.validPool(pool);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(POOLS + ": " + e.getMessage(), e);
        }
    }

    private static void validAllowEntry(String entry) {
        var matcher = ALLOW_ENTRY.matcher(entry);
        if (!matcher.matches()) {
            throw new IllegalArgumentException(HTTP_ALLOW + " entries must be 'host' or 'host:port' in lower case"
                    + " (comma-separated), but one was '" + entry + "'");
        }
        String port = matcher.group("port");
        if (port != null && (Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535)) {
            throw new IllegalArgumentException(
                    HTTP_ALLOW + " entry '" + entry + "' has port " + port + ", which is not between 1 and 65535");
        }
    }
}
