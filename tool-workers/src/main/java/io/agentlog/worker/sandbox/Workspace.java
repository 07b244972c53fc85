package io.agentlog.worker.sandbox;

import io.agentlog.schemas.avro.FileChange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.LoggerFactory;

/**
 * A per-execution copy of the session workspace on the host: written from the call's files before the run, compared
 * with them after it. Only regular files count: symlinks, devices, FIFOs and sockets are ignored and never followed,
 * so a link planted by the code cannot make the worker read a file outside the workspace.
 */
final class Workspace {

    private final Path root;
    private final Map<String, byte[]> input;
    private final Optional<Integer> ownerUid;

    private Workspace(Path root, Map<String, byte[]> input, Optional<Integer> ownerUid) {
        this.root = root;
        this.input = input;
        this.ownerUid = ownerUid;
    }

    /**
     * Creates {@code root} (which must not exist) holding {@code files}; when {@code ownerUid} is given, everything is
     * owned by that uid and gid, so the sandbox user may change it.
     */
    static Workspace create(Path root, List<FileChange> files, Optional<Integer> ownerUid) throws IOException {
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Workspace workspace = new Workspace(root, new HashMap<>(), ownerUid);
        workspace.chown(root);
        for (FileChange file : files) {
            if (file.getContent() == null) {
                continue;
            }
            Path target = WorkspacePaths.resolve(root, file.getPath());
            byte[] bytes = bytes(file.getContent());
            try {
                workspace.createParents(target.getParent());
                Files.write(target, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException | NotDirectoryException e) {
                throw new IllegalArgumentException(
                        "workspace path '" + file.getPath() + "' clashes with another"
                                + " file of the call (a path is both a file and a directory, or given twice)",
                        e);
            }
            workspace.chown(target);
            workspace.input.put(root.relativize(target).toString(), bytes);
        }
        return workspace;
    }

    Path root() {
        return root;
    }

    /** Bytes of regular files now in the workspace (symlinks and special files not counted). */
    long size() {
        long[] total = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) {
                        total[0] += attrs.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return total[0];
    }

    /**
     * The changes against the input: new or changed regular files with their content, deleted ones with null content,
     * sorted by path. Empty when the regular files exceed {@code maxBytes} in total (the caller reports it).
     */
    Optional<List<FileChange>> changes(long maxBytes) throws IOException {
        Map<String, Path> now = new TreeMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    now.put(root.relativize(file).toString(), file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        List<FileChange> changes = new ArrayList<>();
        long total = 0;
        for (Map.Entry<String, Path> entry : now.entrySet()) {
            byte[] content = readRegularFile(entry.getValue(), maxBytes - total);
            if (content == null) {
                return Optional.empty();
            }
            total += content.length;
            byte[] before = input.get(entry.getKey());
            if (before == null || !Arrays.equals(before, content)) {
                changes.add(new FileChange(entry.getKey(), ByteBuffer.wrap(content)));
            }
        }
        for (String path : new TreeMap<>(input).keySet()) {
            if (!now.containsKey(path)) {
                changes.add(new FileChange(path, null));
            }
        }
        changes.sort((a, b) -> a.getPath().compareTo(b.getPath()));
        return Optional.of(changes);
    }

    /** Deletes a directory tree; symlinks are removed, never followed. Failures are logged, not thrown. */
    record Deleter(Path root) implements Runnable {

        @Override
        public void run() {
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try {
                Files.walkFileTree(root, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        // the code may have left a directory without permissions for its owner
                        dir.toFile().setWritable(true, true);
                        dir.toFile().setExecutable(true, true);
                        dir.toFile().setReadable(true, true);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        Files.deleteIfExists(file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                        Files.deleteIfExists(file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                        Files.deleteIfExists(dir);
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                LoggerFactory.getLogger(Workspace.class).warn("Cannot delete sandbox files {}: {}", root, e.toString());
            }
        }
    }

    /** At most {@code limit} bytes of a regular file, without following links; null if it is longer. */
    private static byte[] readRegularFile(Path file, long limit) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, Math.max(0, limit) + 1));
            return bytes.length > limit ? null : bytes;
        }
    }

    private void createParents(Path dir) throws IOException {
        if (dir.equals(root) || Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        createParents(dir.getParent());
        Files.createDirectory(dir);
        chown(dir);
    }

    private void chown(Path path) throws IOException {
        if (ownerUid.isPresent()) {
            Files.setAttribute(path, "unix:uid", ownerUid.get(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", ownerUid.get(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
