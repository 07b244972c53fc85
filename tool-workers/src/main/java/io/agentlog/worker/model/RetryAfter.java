package io.agentlog.worker.model;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The HTTP {@code Retry-After} header (RFC 9110, section 10.2.3): a number of seconds or an HTTP-date. A date in the
 * past means "now"; anything else unreadable is ignored (the worker then backs off on its own).
 */
final class RetryAfter {

    /** Longer than any wait a worker would accept, so a huge number cannot overflow. */
    private static final long MAX_SECONDS = Duration.ofDays(365).toSeconds();

    private RetryAfter() {}

    static Optional<Duration> parse(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String text = value.strip();
        if (text.chars().allMatch(Character::isDigit)) {
            if (text.length() > 12) {
                return Optional.of(Duration.ofSeconds(MAX_SECONDS));
            }
            return Optional.of(Duration.ofSeconds(Math.min(Long.parseLong(text), MAX_SECONDS)));
        }
        try {
            Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant();
            Duration wait = Duration.between(now, at);
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
