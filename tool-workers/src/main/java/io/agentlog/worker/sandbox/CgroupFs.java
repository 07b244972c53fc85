package io.agentlog.worker.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The three operations on a cgroup file system whose meaning the kernel gives: making a group (the kernel fills it with
 * its interface files), removing one (allowed while it holds only those files, once its processes are gone) and
 * writing an interface file (which never creates one). A seam, so that tests can stand a plain directory tree in for
 * {@code /sys/fs/cgroup}; everything else reads the files as they are.
 */
interface CgroupFs {

    /** The real cgroup file systems. */
    CgroupFs KERNEL = new CgroupFs() {};

    /** Makes the group {@code dir}; fails if it exists. */
    default void mkdir(Path dir) throws IOException {
        Files.createDirectory(dir);
    }

    /** Removes the group {@code dir} (rmdir); fails while processes are in it. */
    default void rmdir(Path dir) throws IOException {
        Files.delete(dir);
    }

    /** Writes {@code value} to the interface file {@code file}, which must exist. */
    default void write(Path file, String value) throws IOException {
        Files.writeString(
                file, value, StandardCharsets.US_ASCII, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
