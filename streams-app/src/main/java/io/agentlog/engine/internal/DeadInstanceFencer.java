package io.agentlog.engine.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.StreamsGroupDescription;
import org.apache.kafka.clients.admin.StreamsGroupMemberDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts the open transactions of engine instances that have left the group, so their tasks move on at once instead of
 * after the transaction timeout.
 *
 * <p>Why: an engine killed with {@code kill -9} leaves its last transaction open. Until the broker aborts it (the
 * producer's {@code transaction.timeout.ms}, 10 s), its records hold back the last stable offset of every partition it
 * wrote: the instance taking over its tasks cannot restore their changelogs or read their committed offsets, and
 * nobody downstream sees the sessions move. The group itself notices the death sooner (its session timeout), and
 * every surviving instance then rebalances. On each rebalance this class lists the cluster's ongoing transactions of
 * this application (Streams names them {@code <application.id>-<process id>-<thread index>} under exactly-once v2),
 * describes the streams group, and fences each transactional id whose process is no longer a member: the transaction
 * coordinator bumps its epoch and aborts the transaction (KIP-618's {@code fenceProducers}, as Kafka Connect does for
 * its exactly-once source tasks). Measured with {@code bench recovery}: see docs/benchmarks.md.
 *
 * <p>Safe by construction: transactions are listed before the group is described, so a transaction's process is either
 * still a member (left alone) or has left the group, in which case its tasks belong to others and every further write
 * of it would be fenced anyway. A live instance that the group dropped (a pause longer than the session timeout)
 * loses its producer, and Streams rejoins as after any fencing. Failures only cost the shortcut: the transaction
 * timeout still ends the transaction.
 */
public final class DeadInstanceFencer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeadInstanceFencer.class);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final Admin admin;
    private final String applicationId;
    private final Pattern transactionalIds;
    private final ExecutorService runner;
    /** A check is queued and has not started: a second request in the meantime adds nothing. */
    private final AtomicBoolean queued = new AtomicBoolean();

    public DeadInstanceFencer(Admin admin, String applicationId) {
        this.admin = admin;
        this.applicationId = applicationId;
        this.transactionalIds = transactionalIdPattern(applicationId);
        this.runner = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("agentlog-fencer").daemon().factory());
    }

    /** {@code <application.id>-<process id (a UUID)>-<thread index>}, capturing the process id. */
    public static Pattern transactionalIdPattern(String applicationId) {
        // Escaped by hand rather than with Pattern.quote: the broker matches the pattern too, and an application id is
        // [A-Za-z0-9._-]+ (EngineConfig), so escaping '.' and '-' is enough for any regex dialect.
        String literal = applicationId.replace(".", "\\.").replace("-", "\\-");
        return Pattern.compile(literal + "\\-([0-9a-f]{8}(?:\\-[0-9a-f]{4}){3}\\-[0-9a-f]{12})\\-[0-9]+");
    }

    /** Checks soon, on the fencer's own thread (never the caller's: Streams calls this from a stream thread). */
    public void check() {
        if (queued.compareAndSet(false, true)) {
            try {
                runner.execute(() -> {
                    queued.set(false);
                    fenceDeparted();
                });
            } catch (RejectedExecutionException e) {
                queued.set(false); // closing
            }
        }
    }

    /** Fences the ongoing transactions of processes that are no member of the group; returns the ids fenced. */
    public List<String> fenceDeparted() {
        try {
            List<TransactionListing> ongoing = admin
                    .listTransactions(new ListTransactionsOptions()
                            .filterStates(Set.of(TransactionState.ONGOING))
                            .filterOnTransactionalIdPattern(transactionalIds.pattern())
                            .timeoutMs((int) REQUEST_TIMEOUT.toMillis()))
                    .all()
                    .get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .stream()
                    .toList();
            if (ongoing.isEmpty()) {
                return List.of();
            }
            Set<String> members = memberProcesses();
            List<String> departed = ongoing.stream()
                    .map(TransactionListing::transactionalId)
                    .filter(id -> processOf(id).map(p -> !members.contains(p)).orElse(false))
                    .sorted()
                    .toList();
            if (departed.isEmpty()) {
                return List.of();
            }
            admin.fenceProducers(departed).all().get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.info(
                    "Aborted the open transactions of {} engine thread(s) that left group {}: {}",
                    departed.size(),
                    applicationId,
                    departed);
            return departed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            log.warn(
                    "Cannot abort the open transactions of departed engines now ({}); the broker aborts them after"
                            + " their transaction timeout",
                    cause.toString());
        }
        return List.of();
    }

    private Optional<String> processOf(String transactionalId) {
        Matcher matcher = transactionalIds.matcher(transactionalId);
        return matcher.matches() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    private Set<String> memberProcesses() throws InterruptedException, ExecutionException, TimeoutException {
        try {
            StreamsGroupDescription group = admin.describeStreamsGroups(List.of(applicationId))
                    .describedGroups()
                    .get(applicationId)
                    .get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return group.members().stream()
                    .map(StreamsGroupMemberDescription::processId)
                    .collect(Collectors.toSet());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Set.of(); // no member at all
            }
            throw e;
        }
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
