package io.agentlog.worker.tool;

import io.agentlog.schemas.BuiltinTools;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.RetryableWorkException;
import io.agentlog.worker.WorkContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * {@code http_fetch}: an HTTP GET to a host on the worker's allow-list ({@code AGENTLOG_HTTP_ALLOW}), returning the
 * status and the body. An entry {@code host} allows every port of that host, {@code host:port} only that port; an
 * empty list allows nothing. Redirects are not followed (a redirect could leave the allow-list): the model sees the
 * status and the {@code Location} header and may fetch that URL itself. Bodies longer than
 * {@link #DEFAULT_MAX_BODY_BYTES} are cut, with a marker saying so. Refusals and failed fetches are error outputs
 * the model can act on.
 */
public final class HttpFetchTool implements Tool {

    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final String USER_AGENT = "agentlog-http-fetch/1";

    private final Set<String> allowList;
    private final HttpClient client;
    private final int maxBodyBytes;

    public HttpFetchTool(Set<String> allowList) {
        this(allowList, DEFAULT_MAX_BODY_BYTES);
    }

    public HttpFetchTool(Set<String> allowList, int maxBodyBytes) {
        this.allowList = Set.copyOf(Objects.requireNonNull(allowList, "allowList")).stream()
                .map(entry -> entry.toLowerCase(Locale.ROOT))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1, but was " + maxBodyBytes);
        }
        this.maxBodyBytes = maxBodyBytes;
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    @Override
    public String name() {
        return BuiltinTools.HTTP_FETCH;
    }

    @Override
    public ToolOutput run(ToolInvocation invocation, WorkContext context) {
        String url;
        try {
            url = ToolArguments.parse(name(), invocation.getArguments())
                    .allowOnly(Set.of("url"))
                    .requireString("url");
        } catch (InvalidToolArgumentsException e) {
            return ToolOutputs.error(e.getMessage());
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (java.net.URISyntaxException e) {
            return ToolOutputs.error("http_fetch: '" + url + "' is not a valid URL (" + e.getReason() + ")");
        }
        String refusal = refusal(uri);
        if (refusal != null) {
            return ToolOutputs.error(refusal);
        }
        Duration timeout = context.remaining();
        long requested = invocation.getTimeoutMs();
        if (requested > 0 && requested < timeout.toMillis()) {
            timeout = Duration.ofMillis(requested);
        }
        if (timeout.isZero()) {
            return ToolOutputs.error("http_fetch: the call's deadline passed before the fetch of " + url + " started");
        }
        HttpRequest request = HttpRequest.newBuilder(uri)
                .GET()
                .timeout(timeout)
                .header("User-Agent", USER_AGENT)
                .build();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            return ToolOutputs.ok(describe(response));
        } catch (HttpTimeoutException e) {
            return ToolOutputs.error("http_fetch: " + url + " did not answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return ToolOutputs.error("http_fetch: cannot fetch " + url + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableWorkException("http_fetch of " + url + " was interrupted (the worker is stopping)", e);
        }
    }

    /** Why this URL may not be fetched, or null when it may. */
    String refusal(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "http_fetch: only http and https URLs can be fetched, but the URL was '" + uri + "'";
        }
        if (uri.getHost() == null) {
            return "http_fetch: the URL '" + uri + "' has no host";
        }
        if (uri.getRawUserInfo() != null) {
            return "http_fetch: URLs with credentials (user@host) are not fetched: '" + uri + "'";
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        if (allowList.contains(host) || allowList.contains(host + ":" + port)) {
            return null;
        }
        return "http_fetch: " + host + ":" + port + " is not on this worker's allow-list"
                + (allowList.isEmpty()
                        ? " (the list is empty)"
                        : " " + allowList.stream().sorted().toList())
                + "; the operator allows hosts with AGENTLOG_HTTP_ALLOW";
    }

    private String describe(HttpResponse<InputStream> response) throws IOException {
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(maxBodyBytes + 1);
        }
        boolean truncated = body.length > maxBodyBytes;
        String text = new String(body, 0, Math.min(body.length, maxBodyBytes), StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        out.append("HTTP ").append(response.statusCode()).append('\n');
        for (String header : List.of("content-type", "location")) {
            response.headers()
                    .firstValue(header)
                    .ifPresent(v -> out.append(header).append(": ").append(v).append('\n'));
        }
        out.append('\n').append(text);
        if (truncated) {
            out.append("\n[truncated: the body is longer than ")
                    .append(maxBodyBytes)
                    .append(" bytes]");
        }
        return out.toString();
    }
}
