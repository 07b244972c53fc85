package io.agentlog.engine.internal;

import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.SessionState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A session's durable files, one store entry per file (key {@code sessionId/path}). Every change
 * is a {@code FileWritten} journal event. Paths are relative, normalised, and never leave the
 * workspace; per-file and per-session sizes are capped.
 */
final class Workspace {

    static final int MAX_PATH_LENGTH = 512;

    private final KeyValueStore<String, byte[]> files;
    private final EngineConfig config;

    Workspace(KeyValueStore<String, byte[]> files, EngineConfig config) {
        this.files = files;
        this.config = config;
    }

    record Entry(String path, long size) {}

    /** A clean relative path, or an exception whose message tells the model what was wrong. */
    static String normalize(String path) {
        if (path == null || path.isBlank()) {
            throw new WorkspaceException("path must not be empty");
        }
        if (path.length() > MAX_PATH_LENGTH) {
            throw new WorkspaceException("path is longer than " + MAX_PATH_LENGTH + " characters");
        }
        if (path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0) {
            throw new WorkspaceException("path must not contain NUL or backslash characters: '" + path + "'");
        }
        if (path.startsWith("/")) {
            throw new WorkspaceException("path must be relative to the workspace root, but was '" + path + "'");
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new WorkspaceException("path must not contain '..', but was '" + path + "'");
            }
            parts.add(part);
        }
        if (parts.isEmpty()) {
            throw new WorkspaceException("path names no file: '" + path + "'");
        }
        return String.join("/", parts);
    }

    Optional<byte[]> read(String sessionId, String path) {
        return Optional.ofNullable(files.get(Keys.workspace(sessionId, normalize(path))));
    }

    /** Writes a file; returns the reason when a limit refuses it (then nothing changes). */
    Optional<String> write(SessionRuntime runtime, SessionState state, String path, byte[] content) {
        String clean = normalize(path);
        if (content.length > config.maxFileBytes()) {
            return Optional.of("file " + clean + " would be " + content.length + " bytes; the limit per file is "
                    + config.maxFileBytes());
        }
        String key = Keys.workspace(state.getSessionId(), clean);
        byte[] old = files.get(key);
        long total = state.getWorkspaceBytes() - (old == null ? 0 : old.length) + content.length;
        if (total > config.maxWorkspaceBytes()) {
            return Optional.of("the workspace would hold " + total + " bytes; the limit per session is "
                    + config.maxWorkspaceBytes());
        }
        files.put(key, content);
        state.setWorkspaceBytes(total);
        runtime.emit(state, new FileWritten(clean, (long) content.length, false, null, null));
        return Optional.empty();
    }

    /** Deletes a file; returns false when there was none. */
    boolean delete(SessionRuntime runtime, SessionState state, String path) {
        String clean = normalize(path);
        String key = Keys.workspace(state.getSessionId(), clean);
        byte[] old = files.get(key);
        if (old == null) {
            return false;
        }
        files.delete(key);
        state.setWorkspaceBytes(state.getWorkspaceBytes() - old.length);
        runtime.emit(state, new FileWritten(clean, 0L, true, null, null));
        return true;
    }

    /** Every file of the session, path and content, in path order. */
    List<FileChange> snapshot(String sessionId) {
        String start = Keys.workspacePrefix(sessionId);
        List<FileChange> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = files.prefixScan(start, new StringSerializer())) {
            it.forEachRemaining(entry ->
                    out.add(new FileChange(entry.key.substring(start.length()), ByteBuffer.wrap(entry.value))));
        }
        return out;
    }

    List<Entry> list(String sessionId, String prefix) {
        String start = Keys.workspacePrefix(sessionId);
        List<Entry> entries = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = files.prefixScan(start, new StringSerializer())) {
            while (it.hasNext()) {
                var entry = it.next();
                String path = entry.key.substring(start.length());
                if (prefix == null || path.startsWith(prefix)) {
                    entries.add(new Entry(path, entry.value.length));
                }
            }
        }
        return entries;
    }
}
