package io.agentlog.worker.sandbox;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Checks workspace paths: relative, normalised, no {@code ..}, no empty or NUL components. */
final class WorkspacePaths {

    private WorkspacePaths() {}

    /** The path below {@code root}, or an exception quoting the bad path. */
    static Path resolve(Path root, String relative) {
        if (relative == null
                || relative.isEmpty()
                || relative.startsWith("/")
                || relative.indexOf('\0') >= 0
                || relative.contains("\\")) {
            throw new IllegalArgumentException("workspace path '" + relative + "' must be relative, e.g. src/a.py");
        }
        for (String part : relative.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException(
                        "workspace path '" + relative + "' must not contain empty, '.' or '..' components");
            }
        }
        Path resolved;
        try {
            resolved = root.resolve(relative).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("workspace path '" + relative + "' is not a valid path", e);
        }
        if (!resolved.startsWith(root) || resolved.equals(root)) {
            throw new IllegalArgumentException("workspace path '" + relative + "' leaves the workspace");
        }
        return resolved;
    }
}
