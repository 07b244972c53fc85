package io.agentlog.cli;

import io.agentlog.schemas.AgentlogAcls;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "acls",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = {
            "Prints, or with --apply creates, the least-privilege ACLs of agentlog's components on a cluster with an"
                    + " authorizer (see docs/security.md): the engine, the workers, the clients and who registers"
                    + " agents, each as its own principal.",
            "Without --apply it prints kafka-acls commands to review or run; --apply needs an admin's"
                    + " --kafka-config."
        })
final class AclsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    PoolsOption pools;

    @Option(names = "--engine", paramLabel = "PRINCIPAL", description = "The engine's principal, e.g. User:engine.")
    String engine;

    @Option(
            names = "--application-id",
            paramLabel = "ID",
            defaultValue = "${env:AGENTLOG_APPLICATION_ID:-agentlog-engine}",
            description = "The engine's application id (default: $AGENTLOG_APPLICATION_ID, else agentlog-engine).")
    String applicationId;

    @Option(
            names = "--worker",
            paramLabel = "PRINCIPAL",
            description = "The workers' principal, for the pools of --pools.")
    String worker;

    @Option(
            names = "--client",
            paramLabel = "PRINCIPAL",
            description = "A client's principal: submits, controls, watches.")
    String client;

    @Option(
            names = "--registrar",
            paramLabel = "PRINCIPAL",
            description = "Who registers agent definitions (on top of --client's ACLs, if it is a client too).")
    String registrar;

    @Option(names = "--apply", description = "Create the ACLs on the cluster instead of printing commands.")
    boolean apply;

    @Override
    public Integer call() throws InterruptedException {
        List<AclBinding> acls = new ArrayList<>();
        if (engine != null) {
            acls.addAll(AgentlogAcls.engine(engine, applicationId));
        }
        if (worker != null) {
            acls.addAll(AgentlogAcls.worker(worker, pools.value()));
        }
        if (client != null) {
            acls.addAll(AgentlogAcls.client(client));
        }
        if (registrar != null) {
            acls.addAll(AgentlogAcls.agentRegistrar(registrar));
        }
        if (acls.isEmpty()) {
            throw new IllegalArgumentException(
                    "name at least one principal: --engine, --worker, --client or --registrar (e.g. User:engine)");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (apply) {
            create(acls);
            out.printf("Created %d ACLs on %s%n", acls.size(), kafka.value());
        } else {
            commands(acls).forEach(out::println);
        }
        out.flush();
        return 0;
    }

    private void create(List<AclBinding> acls) throws InterruptedException {
        try (Admin admin = Admin.create(kafka.adminProperties())) {
            admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "cannot create the ACLs on " + kafka.value() + ": "
                            + e.getCause().getMessage()
                            + " (creating ACLs needs ALTER on the cluster: an admin's --kafka-config)",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "Kafka at " + kafka.value() + " did not create the ACLs within " + Duration.ofSeconds(60), e);
        }
    }

    /** One {@code kafka-acls.sh --add} per principal and resource, with all its operations. */
    static List<String> commands(List<AclBinding> acls) {
        record Grant(String principal, ResourcePattern resource) {}
        Map<Grant, List<String>> operations = new LinkedHashMap<>();
        for (AclBinding acl : acls) {
            operations
                    .computeIfAbsent(new Grant(acl.entry().principal(), acl.pattern()), g -> new ArrayList<>())
                    .add(acl.entry().operation().name().toLowerCase(Locale.ROOT));
        }
        List<String> commands = new ArrayList<>();
        operations.forEach((grant, ops) ->
                commands.add("kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config admin.properties --add"
                        + " --allow-principal " + grant.principal()
                        + ops.stream().map(op -> " --operation " + op).collect(java.util.stream.Collectors.joining())
                        + " " + resource(grant.resource())));
        return commands;
    }

    private static String resource(ResourcePattern pattern) {
        String option = switch (pattern.resourceType()) {
            case TOPIC -> "--topic";
            case GROUP -> "--group";
            case TRANSACTIONAL_ID -> "--transactional-id";
            default -> throw new IllegalStateException("no kafka-acls option for " + pattern);
        };
        return option + " " + pattern.name()
                + (pattern.patternType() == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : "");
    }
}
