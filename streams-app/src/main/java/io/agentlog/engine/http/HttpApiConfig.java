package io.agentlog.engine.http;

import io.agentlog.schemas.Env;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The engine's HTTP API: where it listens, who may call it.
 *
 * @param enabled whether the engine serves HTTP at all ({@value #PORT_ENV}{@code =off} turns it off)
 * @param host the address to listen on ({@value #HOST_ENV}, default {@value #DEFAULT_HOST})
 * @param port the port ({@value #PORT_ENV}, default {@value #DEFAULT_PORT}; 0 picks a free one)
 * @param advertisedHost how other engine instances reach this one, for requests about sessions this instance does not
 *     own ({@value #ADVERTISED_HOST_ENV}; default the listen address, or this machine's name when that is a wildcard)
 * @param tokens bearer tokens, one of which every request but {@code /health} and {@code /ready} must carry; read
 *     from the file {@value #TOKENS_FILE_ENV} (one per line, {@code #} comments); empty = no authentication, allowed
 *     only on a loopback address
 * @param maxStreamTime how long one {@code /sessions/{id}/events} stream stays open before the server ends it (the
 *     client reconnects with {@code Last-Event-ID} and loses nothing)
 */
public record HttpApiConfig(
        boolean enabled,
        String host,
        int port,
        Optional<String> advertisedHost,
        Set<String> tokens,
        Duration maxStreamTime) {

    public static final String PORT_ENV = "AGENTLOG_HTTP_PORT";
    public static final String HOST_ENV = "AGENTLOG_HTTP_HOST";
    public static final String ADVERTISED_HOST_ENV = "AGENTLOG_HTTP_ADVERTISED_HOST";
    public static final String TOKENS_FILE_ENV = "AGENTLOG_HTTP_TOKENS_FILE";
    public static final int DEFAULT_PORT = 8088;
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final Duration DEFAULT_MAX_STREAM_TIME = Duration.ofMinutes(30);

    public HttpApiConfig {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(PORT_ENV + " must be a port (0-65535) or 'off', but was " + port);
        }
        tokens = Set.copyOf(tokens);
        if (enabled && tokens.isEmpty() && !isLoopback(host)) {
            throw new IllegalArgumentException("the HTTP API listens on " + host + ", which is not a loopback address,"
                    + " so it needs bearer tokens: set " + TOKENS_FILE_ENV + " to a file with one token per line");
        }
    }

    /** No HTTP server. */
    public static HttpApiConfig disabled() {
        return new HttpApiConfig(false, DEFAULT_HOST, 0, Optional.empty(), Set.of(), DEFAULT_MAX_STREAM_TIME);
    }

    /** On the loopback address, on a free port, without authentication: tests and throwaway stacks. */
    public static HttpApiConfig loopback() {
        return new HttpApiConfig(true, DEFAULT_HOST, 0, Optional.empty(), Set.of(), DEFAULT_MAX_STREAM_TIME);
    }

    public HttpApiConfig withTokens(Set<String> value) {
        return new HttpApiConfig(enabled, host, port, advertisedHost, value, maxStreamTime);
    }

    public HttpApiConfig withMaxStreamTime(Duration value) {
        return new HttpApiConfig(enabled, host, port, advertisedHost, tokens, value);
    }

    /** The configuration from {@code AGENTLOG_HTTP_*} variables; a bad one fails with a message that quotes it. */
    public static HttpApiConfig fromEnv(Map<String, String> env) {
        Env in = new Env(env);
        OptionalInt port = in.port(PORT_ENV, String.valueOf(DEFAULT_PORT));
        if (port.isEmpty()) {
            return disabled();
        }
        Set<String> tokens = in.text(TOKENS_FILE_ENV)
                .map(Path::of)
                .map(HttpApiConfig::readTokens)
                .orElse(Set.of());
        return new HttpApiConfig(
                true,
                in.text(HOST_ENV, DEFAULT_HOST),
                port.getAsInt(),
                in.text(ADVERTISED_HOST_ENV),
                tokens,
                DEFAULT_MAX_STREAM_TIME);
    }

    /** The tokens of a file: one per line, blank lines and {@code #} comments skipped. */
    static Set<String> readTokens(Path file) {
        try {
            Set<String> tokens = Files.readAllLines(file).stream()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .collect(Collectors.toUnmodifiableSet());
            if (tokens.isEmpty()) {
                throw new IllegalArgumentException(TOKENS_FILE_ENV + " names " + file + ", which holds no token");
            }
            return tokens;
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    TOKENS_FILE_ENV + " names " + file + ", which cannot be read: " + e.getMessage(), e);
        }
    }

    /** The host other instances call this one at. */
    String advertised() {
        if (advertisedHost.isPresent()) {
            return advertisedHost.get();
        }
        if (host.equals("0.0.0.0") || host.equals("::")) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return "localhost";
            }
        }
        return host;
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
