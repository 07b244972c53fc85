package io.agentlog.engine.http;

/** A request the API answers with {@code status} and a JSON body {@code {"error": message, "status": status}}. */
final class ApiException extends RuntimeException {

    private final int status;

    ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    static ApiException conflict(String message) {
        return new ApiException(409, message);
    }

    /** The engine cannot answer right now (it is rebalancing, or an instance is unreachable): try again. */
    static ApiException unavailable(String message) {
        return new ApiException(503, message);
    }
}
