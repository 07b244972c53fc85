package io.agentlog.bench;

import io.agentlog.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.StreamsGroupDescription;
import org.apache.kafka.clients.admin.StreamsGroupMemberAssignment;
import org.apache.kafka.clients.admin.StreamsGroupMemberDescription;
import org.apache.kafka.clients.admin.StreamsGroupSubtopologyDescription;

/**
 * Which engine instance owns which session partitions: the engine's streams group (Admin
 * {@code describeStreamsGroups}) names each member's process id and its active and standby tasks; Kafka Streams keeps
 * an instance's process id in its state directory ({@value #PROCESS_FILE} under {@code <stateDir>/<applicationId>}),
 * which ties a member to a process the benchmark started. Only the subtopologies that read {@code agentlog.tasks}
 * count: their task partitions are the session partitions.
 */
final class EngineOwnership {

    /** Kafka Streams' {@code StateDirectory.PROCESS_FILE_NAME}. */
    static final String PROCESS_FILE = "kafka-streams-process-metadata";

    private static final Pattern UUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-" + "[0-9a-fA-F]{12}");

    /** One member: its session partitions, active and standby. */
    record Member(String processId, Set<Integer> active, Set<Integer> standby) {}

    private EngineOwnership() {}

    /** The group's members by process id; empty when the group is unknown. */
    static Map<String, Member> members(String bootstrap, String applicationId) {
        try (Admin admin = BenchStack.admin(bootstrap)) {
            StreamsGroupDescription group = BenchStack.await(
                            admin.describeStreamsGroups(List.of(applicationId)).all(),
                            "describe the streams group " + applicationId,
                            bootstrap)
                    .get(applicationId);
            if (group == null) {
                return Map.of();
            }
            Set<String> sessionSubtopologies = new TreeSet<>();
            for (StreamsGroupSubtopologyDescription sub : group.subtopologies()) {
                if (sub.sourceTopics().contains(Topics.TASKS.name())) {
                    sessionSubtopologies.add(sub.subtopologyId());
                }
            }
            Map<String, Member> members = new HashMap<>();
            for (StreamsGroupMemberDescription member : group.members()) {
                Set<Integer> active = partitions(member.assignment().activeTasks(), sessionSubtopologies);
                Set<Integer> standby = partitions(member.assignment().standbyTasks(), sessionSubtopologies);
                members.merge(
                        member.processId(),
                        new Member(member.processId(), active, standby),
                        (a, b) -> new Member(
                                a.processId(), union(a.active(), b.active()), union(a.standby(), b.standby())));
            }
            return members;
        }
    }

    private static Set<Integer> partitions(
            List<StreamsGroupMemberAssignment.TaskIds> tasks, Set<String> sessionSubtopologies) {
        Set<Integer> partitions = new TreeSet<>();
        for (StreamsGroupMemberAssignment.TaskIds task : tasks) {
            if (sessionSubtopologies.isEmpty() || sessionSubtopologies.contains(task.subtopologyId())) {
                partitions.addAll(task.partitions());
            }
        }
        return partitions;
    }

    private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
        Set<Integer> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    /** The process id an engine instance keeps in its state directory, once it has started. */
    static Optional<String> processId(Path stateDir, String applicationId) {
        Path file = stateDir.resolve(applicationId).resolve(PROCESS_FILE);
        try {
            return processIdOf(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static Optional<String> processIdOf(String metadata) {
        Matcher matcher = UUID.matcher(metadata);
        return matcher.find() ? Optional.of(matcher.group()) : Optional.empty();
    }
}
