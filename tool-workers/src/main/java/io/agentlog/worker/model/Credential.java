package io.agentlog.worker.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A model endpoint's API key, read once at start from an environment variable or a file of the worker, never from an
 * agent definition. It prints as where it came from, never as its value: pass it around and log it freely.
 */
public final class Credential {

    private final String value;
    private final String source;

    private Credential(String value, String source) {
        this.value = Objects.requireNonNull(value, "value");
        this.source = Objects.requireNonNull(source, "source");
        if (value.isBlank()) {
            throw new IllegalArgumentException("the credential from " + source + " is empty");
        }
    }

    /** A key held by code that embeds the worker; {@code source} says where it came from, for messages. */
    public static Credential of(String value, String source) {
        return new Credential(value.strip(), source);
    }

    /** The value of environment variable {@code variable}; fails naming {@code forWhat} when it is unset or blank. */
    public static Credential fromEnv(Map<String, String> env, String variable, String forWhat) {
        String value = env.get(variable);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(
                    forWhat + " takes its API key from environment variable " + variable + ", which is not set");
        }
        return new Credential(value.strip(), "environment variable " + variable);
    }

    /** The content of {@code file}, without surrounding white space (a trailing newline is common). */
    public static Credential fromFile(Path file, String forWhat) {
        String value;
        try {
            value = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    forWhat + " takes its API key from file " + file + ", which cannot be read: " + e.getMessage(), e);
        }
        if (value.isEmpty()) {
            throw new IllegalArgumentException(forWhat + " takes its API key from file " + file + ", which is empty");
        }
        return new Credential(value, "file " + file);
    }

    /** The secret itself: for the request header, and to redact it from texts. */
    public String value() {
        return value;
    }

    /** Where it came from, e.g. {@code environment variable OPENAI_API_KEY}. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "(key from " + source + ")";
    }
}
