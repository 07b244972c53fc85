package io.agentlog.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A test's HTTP client for the engine's API: JSON calls, and a reader of Server-Sent Events. */
final class HttpCalls {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String base;
    private final Optional<String> token;
    private final HttpClient http = HttpClient.newHttpClient();

    HttpCalls(String base) {
        this(base, Optional.empty());
    }

    HttpCalls(String base, Optional<String> token) {
        this.base = base;
        this.token = token;
    }

    HttpCalls withToken(String value) {
        return new HttpCalls(base, Optional.of(value));
    }

    /** A response: its status and its body, parsed when it is JSON. */
    record Response(int status, String body, Map<String, List<String>> headers) {

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (HTTP " + status + "): " + body, e);
            }
        }

        String error() {
            return json().path("error").asText();
        }
    }

    Response get(String path) {
        return send(request(path).GET());
    }

    Response post(String path, String json) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Response put(String path, String body, String contentType) {
        return send(request(path).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** Opens {@code /sessions/{id}/events}, resuming after {@code lastEventId} when given. */
    EventStream events(String sessionId, Optional<Long> lastEventId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/sessions/" + sessionId + "/events"))
                .header("Accept", "text/event-stream")
                .GET();
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        lastEventId.ifPresent(id -> request.header("Last-Event-ID", String.valueOf(id)));
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            return new EventStream(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT);
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        return request;
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(
                    response.statusCode(), response.body(), response.headers().map());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** One Server-Sent Event: its id, its event name, its data. */
    record Sse(String id, String event, String data) {

        long seq() {
            return Long.parseLong(id);
        }

        JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }
    }

    /** An open event stream: a thread parses the frames as they come; the test takes them with a deadline. */
    static final class EventStream implements AutoCloseable {
        private final int status;
        private final InputStream body;
        private final BlockingQueue<Optional<Sse>> frames = new LinkedBlockingQueue<>();
        private final List<Sse> seen = new ArrayList<>();

        EventStream(int status, InputStream body) {
            this.status = status;
            this.body = body;
            Thread.ofVirtual().name("test-sse-reader").start(this::read);
        }

        int status() {
            return status;
        }

        /** Takes events until one matches {@code last} (included) or the stream ends; fails after the deadline. */
        List<Sse> until(Predicate<Sse> last, Duration deadline) throws InterruptedException {
            List<Sse> taken = new ArrayList<>();
            long end = System.nanoTime() + deadline.toNanos();
            while (true) {
                Optional<Sse> next = frames.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (next == null) {
                    throw new AssertionError("no matching event within " + deadline + "; got " + taken);
                }
                if (next.isEmpty()) {
                    frames.add(next); // the end stays the end
                    return taken;
                }
                taken.add(next.get());
                seen.add(next.get());
                if (last.test(next.get())) {
                    return taken;
                }
            }
        }

        /** Everything until the server ends the stream. */
        List<Sse> toEnd(Duration deadline) throws InterruptedException {
            return until(sse -> false, deadline);
        }

        private void read() {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String id = null;
                String event = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (!data.isEmpty() || event != null) {
                            frames.add(Optional.of(new Sse(id, event, data.toString())));
                        }
                        id = null;
                        event = null;
                        data.setLength(0);
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).strip();
                    } else if (line.startsWith("event:")) {
                        event = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        if (!data.isEmpty()) {
                            data.append('\n');
                        }
                        data.append(line.substring(5).stripLeading());
                    }
                }
            } catch (IOException e) {
                // closed by the test, or by the server
            } finally {
                frames.add(Optional.empty());
            }
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }
}
