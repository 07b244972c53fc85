package io.agentlog.worker.sandbox;

import java.util.Locale;

/** A language sandboxed code is written in, and the tier that runs it. */
public enum Language {
    /** bash, in the bubblewrap tier. */
    BASH("bash"),
    /** Python 3 ({@code /usr/bin/python3}), in the bubblewrap tier. */
    PYTHON("python"),
    /** Node.js ({@code /usr/bin/node}), in the bubblewrap tier. */
    NODE("node"),
    /** ECMAScript without Node APIs, in the GraalJS tier. */
    JAVASCRIPT("javascript");

    private final String id;

    Language(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** By id ({@code bash}, {@code python}, {@code node}, {@code javascript}); the message lists the choices. */
    public static Language of(String id) {
        for (Language language : values()) {
            if (language.id.equals(id == null ? null : id.toLowerCase(Locale.ROOT))) {
                return language;
            }
        }
        throw new IllegalArgumentException(
                "unknown sandbox language '" + id + "'; choose one of bash, python, node, javascript");
    }
}
