package io.agentlog.client.http;

import io.agentlog.client.AgentlogException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One connection to an event stream, read line by line as Server-Sent Events. The lines arrive on the HTTP client's
 * threads and are taken here with a timeout, so a read never blocks past the caller's deadline, and a connection that
 * has sent nothing (not even the server's keep-alive comment) for {@link #IDLE_TIMEOUT} counts as lost.
 */
final class SseConnection implements Flow.Subscriber<String>, AutoCloseable {

    /** The server sends a comment every 15 s; three missed ones mean the connection is gone. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(45);

    private static final Object END = new Object();
    private static final long POLL_MILLIS = 200;

    /** One SSE message: its id (null when it has none), event name ("message" by default) and data. */
    record Message(String id, String event, String data) {}

    private final String what;
    private final long deadline;
    private final BlockingQueue<Object> arrivals = new LinkedBlockingQueue<>();
    private volatile Flow.Subscription subscription;
    private CompletableFuture<HttpResponse<Void>> response;

    private SseConnection(String what, long deadline) {
        this.what = what;
        this.deadline = deadline;
    }

    /** Sends the request; the answer is read by {@link #read}. */
    static SseConnection open(HttpClient http, HttpRequest request, long deadline) {
        SseConnection connection = new SseConnection("GET " + request.uri(), deadline);
        connection.response = http.sendAsync(request, info -> {
            connection.arrivals.add(info.statusCode()); // before any line of the body
            return HttpResponse.BodySubscribers.fromLineSubscriber(connection, s -> null, StandardCharsets.UTF_8, null);
        });
        return connection;
    }

    /**
     * Hands each message to {@code handler} until one returns a value (returned), the server ends the stream or the
     * deadline passes (empty).
     *
     * @throws AgentlogHttpException when the answer is not a 200
     * @throws ApiUnreachableException when the connection fails or goes silent
     */
    <T> Optional<T> read(Function<Message, Optional<T>> handler) {
        Object first = next();
        if (!(first instanceof Integer status)) {
            return Optional.empty(); // the deadline passed before the answer
        }
        if (status != 200) {
            StringBuilder body = new StringBuilder();
            for (Object line = next(); line instanceof String text; line = next()) {
                body.append(text).append('\n');
            }
            throw AgentlogHttpClient.error(what, status, body.toString());
        }
        String id = null;
        String event = null;
        StringBuilder data = null;
        for (Object item = next(); item instanceof String line; item = next()) {
            if (line.isEmpty()) {
                if (data != null) {
                    Optional<T> result =
                            handler.apply(new Message(id, event == null ? "message" : event, data.toString()));
                    if (result.isPresent()) {
                        return result;
                    }
                }
                id = null;
                event = null;
                data = null;
                continue;
            }
            if (line.startsWith(":")) {
                continue; // a comment: the keep-alive
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            value = value.startsWith(" ") ? value.substring(1) : value;
            switch (field) {
                case "id" -> id = value;
                case "event" -> event = value;
                case "data" ->
                    data = data == null
                            ? new StringBuilder(value)
                            : data.append('\n').append(value);
                default -> {} // retry and unknown fields
            }
        }
        return Optional.empty();
    }

    /**
     * The next status, line or {@link #END}; null when the deadline passed.
     *
     * @throws ApiUnreachableException when the connection failed or stayed silent too long
     */
    private Object next() {
        long silentSince = System.nanoTime();
        while (true) {
            Object item;
            try {
                item = arrivals.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AgentlogException("interrupted while reading " + what, e);
            }
            if (item instanceof Throwable failure) {
                throw AgentlogHttpClient.unreachable(
                        what, failure instanceof IOException io ? io : new IOException(failure));
            }
            if (item != null) {
                if (subscription != null && item instanceof String) {
                    subscription.request(1);
                }
                return item;
            }
            if (response.isCompletedExceptionally() && arrivals.isEmpty()) {
                throw AgentlogHttpClient.unreachable(what, failure());
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return null;
            }
            if (now - silentSince > IDLE_TIMEOUT.toNanos()) {
                throw AgentlogHttpClient.unreachable(
                        what, new IOException("nothing received for " + IDLE_TIMEOUT.toSeconds() + " s"));
            }
        }
    }

    private IOException failure() {
        try {
            response.get();
            return new IOException("the request failed");
        } catch (ExecutionException e) {
            return e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new IOException(e);
        }
    }

    @Override
    public void onSubscribe(Flow.Subscription value) {
        subscription = value;
        value.request(16);
    }

    @Override
    public void onNext(String line) {
        arrivals.add(line);
    }

    @Override
    public void onError(Throwable failure) {
        arrivals.add(failure);
    }

    @Override
    public void onComplete() {
        arrivals.add(END);
    }

    @Override
    public void close() {
        Flow.Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
        response.cancel(true);
    }
}
