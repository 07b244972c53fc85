package io.agentlog.schemas;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least-privilege ACLs of each agentlog component on a cluster with an authorizer: what each principal must be
 * allowed, and nothing more (docs/security.md explains each). The tests apply exactly these to a SASL_SSL broker
 * that denies everything else, and {@code agentlog acls} prints or applies them.
 *
 * <ul>
 *   <li>The engine owns the session topics: it reads and writes every {@code agentlog.*} topic, its own internal
 *       topics, transactional ids and streams group (all named by its application id).
 *   <li>A worker reads its pools' work topics in their share groups and the cancels, writes work results (and reads
 *       them back to find an earlier delivery's result), model answers' chunks and the dead-letter topic. It cannot
 *       read sessions, write tasks or touch other pools: a tool that escaped its sandbox holds only this.
 *   <li>A client submits tasks and control commands and reads results, events, chunks, workspace blobs and agent
 *       definitions; registering agents is a separate grant.
 * </ul>
 */
public final class AgentlogAcls {

    private static final String HOST = "*";

    private AgentlogAcls() {}

    /** The engine with this Streams application id. */
    public static List<AclBinding> engine(String principal, String applicationId) {
        List<AclBinding> acls = new ArrayList<>();
        // every agentlog topic; the configs of the work topics tell it each pool's record size limit
        allow(
                acls,
                principal,
                ResourceType.TOPIC,
                "agentlog.",
                PatternType.PREFIXED,
                AclOperation.READ,
                AclOperation.WRITE,
                AclOperation.DESCRIBE,
                AclOperation.DESCRIBE_CONFIGS);
        // its changelog topics, named after the application id, which it creates (without CREATE and DESCRIBE_CONFIGS
        // on them the engine never reaches RUNNING)
        allow(
                acls,
                principal,
                ResourceType.TOPIC,
                applicationId,
                PatternType.PREFIXED,
                AclOperation.READ,
                AclOperation.WRITE,
                AclOperation.DESCRIBE,
                AclOperation.CREATE,
                AclOperation.DESCRIBE_CONFIGS);
        allow(
                acls,
                principal,
                ResourceType.GROUP,
                applicationId,
                PatternType.LITERAL,
                AclOperation.READ,
                AclOperation.DESCRIBE,
                AclOperation.ALTER_CONFIGS); // the group's standby replicas (AGENTLOG_STANDBY_REPLICAS)
        // exactly-once producers, and fencing a dead instance's open transactions
        allow(
                acls,
                principal,
                ResourceType.TRANSACTIONAL_ID,
                applicationId,
                PatternType.PREFIXED,
                AclOperation.WRITE,
                AclOperation.DESCRIBE);
        return acls;
    }

    /** A worker serving these pools. */
    public static List<AclBinding> worker(String principal, List<String> pools) {
        List<AclBinding> acls = new ArrayList<>();
        for (String pool : pools) {
            allow(
                    acls,
                    principal,
                    ResourceType.TOPIC,
                    Topics.workTopicName(pool),
                    PatternType.LITERAL,
                    AclOperation.READ,
                    AclOperation.DESCRIBE);
            allow(
                    acls,
                    principal,
                    ResourceType.GROUP,
                    Topics.shareGroup(pool),
                    PatternType.LITERAL,
                    AclOperation.READ,
                    AclOperation.DESCRIBE,
                    AclOperation.ALTER_CONFIGS); // the share group's delivery limit (AGENTLOG_MAX_DELIVERIES)
        }
        allow(
                acls,
                principal,
                ResourceType.TOPIC,
                Topics.WORK_RESULTS.name(),
                PatternType.LITERAL,
                AclOperation.READ,
                AclOperation.WRITE,
                AclOperation.DESCRIBE);
        allow(
                acls,
                principal,
                ResourceType.TOPIC,
                Topics.CANCELS.name(),
                PatternType.LITERAL,
                AclOperation.READ,
                AclOperation.DESCRIBE);
        topics(
                acls,
                principal,
                List.of(Topics.STREAM.name(), Topics.DLQ.name()),
                AclOperation.WRITE,
                AclOperation.DESCRIBE);
        return acls;
    }

    /** A client (the Java client, the CLI, the HTTP API's own client is the engine's) that submits and watches. */
    public static List<AclBinding> client(String principal) {
        List<AclBinding> acls = new ArrayList<>();
        topics(
                acls,
                principal,
                List.of(Topics.TASKS.name(), Topics.CONTROL.name()),
                AclOperation.WRITE,
                AclOperation.DESCRIBE);
        topics(
                acls,
                principal,
                List.of(
                        Topics.RESULTS.name(),
                        Topics.EVENTS.name(),
                        Topics.STREAM.name(),
                        Topics.BLOBS.name(),
                        Topics.AGENTS.name()),
                AclOperation.READ,
                AclOperation.DESCRIBE);
        return acls;
    }

    /** Registering agent definitions ({@code agentlog agents put}), on top of {@link #client}. */
    public static List<AclBinding> agentRegistrar(String principal) {
        List<AclBinding> acls = new ArrayList<>();
        allow(
                acls,
                principal,
                ResourceType.TOPIC,
                Topics.AGENTS.name(),
                PatternType.LITERAL,
                AclOperation.WRITE,
                AclOperation.READ,
                AclOperation.DESCRIBE);
        return acls;
    }

    /** {@code operations} on each of these topics (literal names). */
    private static void topics(
            List<AclBinding> acls, String principal, List<String> names, AclOperation... operations) {
        for (String name : names) {
            allow(acls, principal, ResourceType.TOPIC, name, PatternType.LITERAL, operations);
        }
    }

    private static void allow(
            List<AclBinding> acls,
            String principal,
            ResourceType type,
            String name,
            PatternType pattern,
            AclOperation... operations) {
        if (!principal.startsWith("User:")) {
            throw new IllegalArgumentException("a principal looks like User:NAME, but was '" + principal + "'");
        }
        ResourcePattern resource = new ResourcePattern(type, name, pattern);
        for (AclOperation operation : operations) {
            acls.add(new AclBinding(
                    resource, new AccessControlEntry(principal, HOST, operation, AclPermissionType.ALLOW)));
        }
    }
}
