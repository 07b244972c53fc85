package io.agentlog.engine.session;

import io.agentlog.engine.EngineConfig;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.SessionState;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A session's durable files: paths are relative, normalised, and never leave the workspace; files, bytes per file
 * and bytes and files per session are limited. Every change is a {@code FileWritten} journal event carrying the
 * content (inline up to the engine's inline limit, else by SHA-256 with the bytes on {@code agentlog.blobs}), so the
 * journal rebuilds the workspace.
 */
final class WorkspaceFiles {

    static final int MAX_PATH_LENGTH = 512;

    private final EngineConfig config;

    WorkspaceFiles(EngineConfig config) {
        this.config = config;
    }

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

    Optional<byte[]> read(SessionModel model, String path) {
        return model.file(normalize(path));
    }

    /**
     * Why writing {@code size} bytes to the (normalised) path would be refused, if it would. A session that has not
     * started yet has an empty workspace.
     */
    Optional<String> refusal(SessionModel model, String clean, long size) {
        long bytes = model.state().map(SessionState::getWorkspaceBytes).orElse(0L);
        int count = model.state().map(SessionState::getWorkspaceFiles).orElse(0);
        if (size > config.maxFileBytes()) {
            return Optional.of(
                    "file " + clean + " would be " + size + " bytes; the limit per file is " + config.maxFileBytes());
        }
        Optional<byte[]> old = model.file(clean);
        long total = bytes - old.map(b -> (long) b.length).orElse(0L) + size;
        if (total > config.maxWorkspaceBytes()) {
            return Optional.of("the workspace would hold " + total + " bytes; the limit per session is "
                    + config.maxWorkspaceBytes());
        }
        if (old.isEmpty() && count >= config.maxWorkspaceFiles()) {
            return Optional.of("the workspace holds " + count + " files, the limit per session");
        }
        return Optional.empty();
    }

    /** Writes a file; returns the reason when a limit refuses it (then nothing changes). */
    Optional<String> write(Step step, String path, byte[] content) {
        String clean = normalize(path);
        Optional<String> refused = refusal(step.model(), clean, content.length);
        if (refused.isPresent()) {
            return refused;
        }
        if (content.length <= config.inlineFileBytes()) {
            step.emit(new FileWritten(clean, (long) content.length, false, ByteBuffer.wrap(content), null));
        } else {
            String hash = sha256(content);
            step.blob(hash, content);
            step.emit(new FileWritten(clean, (long) content.length, false, null, hash));
        }
        return Optional.empty();
    }

    /** Deletes a file; returns false when there was none. */
    boolean delete(Step step, String path) {
        String clean = normalize(path);
        if (step.model().file(clean).isEmpty()) {
            return false;
        }
        step.emit(new FileWritten(clean, 0L, true, null, null));
        return true;
    }

    /** Every file of the session, path and content, in path order. */
    static List<FileChange> snapshot(SessionModel model) {
        List<FileChange> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> file : model.files().entrySet()) {
            out.add(new FileChange(file.getKey(), ByteBuffer.wrap(file.getValue())));
        }
        return out;
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
