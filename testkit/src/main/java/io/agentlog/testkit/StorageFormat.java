package io.agentlog.testkit;

import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.Uuid;

/**
 * How {@code kafka.tools.StorageTool format} prepares a node's log directory: the cluster id every node of one cluster
 * shares, and the KRaft controller quorum it starts with (a dynamic quorum in both cases, reached through
 * {@code controller.quorum.bootstrap.servers}).
 *
 * @param clusterId the cluster id written into {@code meta.properties}
 * @param quorumArgs {@code --standalone} for a single node, or {@code --initial-controllers id@host:port:dirId,...}
 *     with the same value on every node of a cluster
 */
record StorageFormat(String clusterId, List<String> quorumArgs) {

    StorageFormat {
        Objects.requireNonNull(clusterId, "clusterId");
        quorumArgs = List.copyOf(quorumArgs);
    }

    /** A new single-node cluster whose only node is the whole controller quorum. */
    static StorageFormat standalone() {
        return new StorageFormat(Uuid.randomUuid().toString(), List.of("--standalone"));
    }

    /** A node of a cluster whose controller quorum starts as {@code controllers} ({@code id@host:port:dirId,...}). */
    static StorageFormat initialControllers(String clusterId, String controllers) {
        return new StorageFormat(clusterId, List.of("--initial-controllers", controllers));
    }
}
