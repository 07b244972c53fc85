package io.agentlog.worker.internal;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One worker pool: a share consumer on {@code agentlog.work.<pool>} in explicit acknowledgement mode, and a virtual
 * thread per work item.
 *
 * <p>The share consumer is single-threaded, so only this runner's thread touches it and the bookkeeping below. An
 * item's virtual thread runs it, produces its {@code WorkResult} (or its bytes to the DLQ) and, once the broker has
 * the record, puts a {@link Completion} on a queue and wakes the consumer; this thread then acknowledges
 * ({@code ACCEPT} after a result, {@code REJECT} after the DLQ, {@code RELEASE} after a transient failure) and
 * commits asynchronously. A result is therefore durable before its item is acknowledged: a crash in between
 * redelivers the item, and the engine drops the second result by its {@code workId}.
 *
 * <p>Explicit mode requires every record a poll returned to be acknowledged before the next poll. A record whose work
 * is still running is acknowledged {@code RENEW}: the broker extends its acquisition lock and the consumer returns
 * it again on a later poll, when it is acknowledged again (measured on 4.4.0: renewals ride on the next share fetch,
 * so an idle runner renews each running item about every 0.5 s, a busy one on every fetch). A record cannot be
 * acknowledged while its renewal is under way, so a result that completes then is acknowledged when the record comes
 * back. When all {@code maxConcurrency} slots are busy the runner stops polling (that is its back-pressure: idle
 * workers of the group take the work instead) and polls only every third of the lock duration to keep its locks.
 */
public final class PoolRunner implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PoolRunner.class);

    static final Duration MAX_POLL = Duration.ofSeconds(1);
    static final long DEFAULT_LOCK_MS = 30_000;
    /** Kafka's default max.request.size is 1 MiB; a result above this is replaced by a small error result. */
    static final int MAX_RESULT_BYTES = 900 * 1024;

    private static final AvroSerde<WorkRequest> REQUESTS = AvroSerde.of(WorkRequest.class);
    private static final AvroSerde<WorkResult> RESULTS = AvroSerde.of(WorkResult.class);

    private final String pool;
    private final String topic;
    private final String workerId;
    private final ShareConsumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final WorkExecutor executor;
    private final int maxConcurrency;
    private final ThreadFactory workThreads;
    private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong answered = new AtomicLong();

    private volatile boolean stopping;
    /** The runner is in (or about to enter) poll: a completion must wake it. Otherwise it reads the queue anyway. */
    private volatile boolean inPoll;
    private volatile long stopDeadlineNanos;
    private volatile Throwable failure;

    // Touched by the runner thread only.
    private final Map<RecordId, InFlight> inFlight = new HashMap<>();
    private final ArrayDeque<InFlight> backlog = new ArrayDeque<>();
    private int running;
    private long lockMs = DEFAULT_LOCK_MS;

    public PoolRunner(
            String pool,
            String workerId,
            ShareConsumer<byte[], byte[]> consumer,
            Producer<byte[], byte[]> producer,
            WorkExecutor executor,
            int maxConcurrency) {
        this.pool = pool;
        this.topic = Topics.workTopicName(pool);
        this.workerId = workerId;
        this.consumer = consumer;
        this.producer = producer;
        this.executor = executor;
        this.maxConcurrency = maxConcurrency;
        this.workThreads = Thread.ofVirtual().name("agentlog-" + pool + "-work-", 0).factory();
    }

    private record RecordId(String topic, int partition, long offset) {

        static RecordId of(ConsumerRecord<?, ?> record) {
            return new RecordId(record.topic(), record.partition(), record.offset());
        }

        @Override
        public String toString() {
            return topic + "-" + partition + "@" + offset;
        }
    }

    /** An item's end, reported by its virtual thread; {@code id == null} only wakes the runner. */
    private record Completion(RecordId id, AcknowledgeType ack) {

        static final Completion WAKE = new Completion(null, null);
    }

    private enum State {
        QUEUED,
        RUNNING,
        DONE
    }

    private static final class InFlight {
        final RecordId id;
        ConsumerRecord<byte[], byte[]> record;
        State state = State.QUEUED;
        AcknowledgeType finalAck;
        /** Returned by the latest poll and not yet acknowledged: must be, before the next poll. */
        boolean held = true;
        /** The broker lost our lock (a failed renewal): never acknowledge this delivery. */
        boolean lost;
        /** No later than the broker last (re)started the lock. */
        long lockRefreshedAt;
        Thread thread;

        InFlight(ConsumerRecord<byte[], byte[]> record, long now) {
            this.id = RecordId.of(record);
            this.record = record;
            this.lockRefreshedAt = now;
        }
    }

    public String pool() {
        return pool;
    }

    /** Results and DLQ entries produced so far. */
    public long answered() {
        return answered.get();
    }

    public boolean isRunning() {
        return stopped.getCount() > 0;
    }

    /** Why the runner stopped on its own, if it did. */
    public Throwable failure() {
        return failure;
    }

    /** Stops taking new work; running items get {@code grace} to finish and be acknowledged. */
    public void stop(Duration grace) {
        stopDeadlineNanos = System.nanoTime() + grace.toNanos();
        stopping = true;
        completions.add(Completion.WAKE);
        wakeConsumer();
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void run() {
        try {
            consumer.setAcknowledgementCommitCallback(this::onAcknowledgementsCommitted);
            consumer.subscribe(List.of(topic));
            log.info("Worker {} serves pool {} from {} (share group {}, up to {} items at once)",
                    workerId, pool, topic, Topics.shareGroup(pool), maxConcurrency);
            loop();
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error("Pool {} stopped after an unexpected error; its unacknowledged work will be redelivered", pool, e);
        } finally {
            for (InFlight item : inFlight.values()) {
                if (item.thread != null) {
                    item.thread.interrupt();
                }
            }
            if (!inFlight.isEmpty()) {
                log.warn("Pool {} closes with {} unfinished item(s); the group delivers them again", pool,
                        inFlight.size());
            }
            try {
                consumer.close(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("Closing the share consumer of pool {} failed: {}", pool, e.toString());
            }
            stopped.countDown();
            log.info("Pool {} stopped", pool);
        }
    }

    private void loop() {
        while (true) {
            long now = System.nanoTime();
            if (stopping) {
                if (inFlight.isEmpty()) {
                    return;
                }
                if (now - stopDeadlineNanos >= 0) {
                    log.warn("Pool {}: shutdown grace over with {} item(s) unfinished", pool, inFlight.size());
                    return;
                }
            }
            if (shouldPoll(now)) {
                settleHeld(now);
                ConsumerRecords<byte[], byte[]> records = poll(pollTimeout(now));
                accept(records, System.nanoTime());
            } else {
                awaitCompletion(waitMillis(now));
            }
            applyCompletions();
            acknowledgeFinished();
            forgetLost(System.nanoTime());
        }
    }

    /**
     * Poll when there is room for more work, or to keep (renew) the locks of held items, or to get back records whose
     * work finished while they were being renewed. When stopping, take no new work beyond what a needed poll brings.
     */
    private boolean shouldPoll(long now) {
        boolean room = !stopping && running + backlog.size() < maxConcurrency;
        return room || renewalDue(now) || finishedAwayExists();
    }

    private boolean renewalDue(long now) {
        return nextRenewal() - now <= 0;
    }

    private long nextRenewal() {
        long next = Long.MAX_VALUE;
        boolean any = false;
        for (InFlight item : inFlight.values()) {
            if (item.state != State.DONE) {
                long due = item.lockRefreshedAt + TimeUnit.MILLISECONDS.toNanos(lockMs / 3);
                if (!any || due - next < 0) {
                    next = due;
                    any = true;
                }
            }
        }
        return any ? next : System.nanoTime() + MAX_POLL.toNanos();
    }

    private boolean finishedAwayExists() {
        for (InFlight item : inFlight.values()) {
            if (item.state == State.DONE && !item.held && !item.lost) {
                return true;
            }
        }
        return false;
    }

    private Duration pollTimeout(long now) {
        long millis = MAX_POLL.toMillis();
        if (stopping) {
            millis = Math.min(millis, Math.max(1, TimeUnit.NANOSECONDS.toMillis(stopDeadlineNanos - now)));
        }
        return Duration.ofMillis(millis);
    }

    private long waitMillis(long now) {
        long untilRenewal = TimeUnit.NANOSECONDS.toMillis(nextRenewal() - now);
        long millis = Math.max(1, Math.min(untilRenewal, MAX_POLL.toMillis()));
        if (stopping) {
            millis = Math.min(millis, Math.max(1, TimeUnit.NANOSECONDS.toMillis(stopDeadlineNanos - now)));
        }
        return millis;
    }

    /** Every held record must be acknowledged before the next poll: finished ones for good, running ones RENEW. */
    private void settleHeld(long now) {
        for (Iterator<InFlight> it = inFlight.values().iterator(); it.hasNext(); ) {
            InFlight item = it.next();
            if (!item.held) {
                continue;
            }
            if (item.state == State.DONE) {
                consumer.acknowledge(item.record, item.finalAck);
                it.remove();
            } else {
                consumer.acknowledge(item.record, AcknowledgeType.RENEW);
                item.held = false;
                item.lockRefreshedAt = now;
            }
        }
    }

    private ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        inPoll = true;
        try {
            // a completion queued before inPoll was set did not wake us: do not wait for more records then
            ConsumerRecords<byte[], byte[]> records = consumer.poll(completions.isEmpty() ? timeout : Duration.ZERO);
            if (!records.isEmpty()) {
                consumer.acquisitionLockTimeoutMs().ifPresent(ms -> lockMs = ms);
            }
            return records;
        } catch (WakeupException e) {
            return ConsumerRecords.empty();
        } finally {
            inPoll = false;
        }
    }

    private void accept(ConsumerRecords<byte[], byte[]> records, long now) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            RecordId id = RecordId.of(record);
            InFlight item = inFlight.get(id);
            if (item == null) {
                item = new InFlight(record, now);
                inFlight.put(id, item);
                if (running < maxConcurrency) {
                    start(item);
                } else {
                    backlog.add(item);
                }
            } else {
                // back from a renewal, or delivered to us again after a lost lock: acknowledge this delivery
                item.record = record;
                item.held = true;
                item.lost = false;
            }
        }
    }

    private void start(InFlight item) {
        running++;
        item.state = State.RUNNING;
        ConsumerRecord<byte[], byte[]> record = item.record;
        item.thread = workThreads.newThread(() -> process(item.id, record));
        item.thread.start();
    }

    private void awaitCompletion(long millis) {
        try {
            Completion completion = completions.poll(millis, TimeUnit.MILLISECONDS);
            if (completion != null) {
                apply(completion);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(Duration.ZERO);
        }
    }

    private void applyCompletions() {
        Completion completion;
        while ((completion = completions.poll()) != null) {
            apply(completion);
        }
    }

    private void apply(Completion completion) {
        if (completion.id() == null) {
            return;
        }
        InFlight item = inFlight.get(completion.id());
        if (item == null || item.state != State.RUNNING) {
            return;
        }
        item.state = State.DONE;
        item.finalAck = completion.ack();
        item.thread = null;
        running--;
        if (item.lost) {
            inFlight.remove(item.id);
        }
        while (running < maxConcurrency && !backlog.isEmpty()) {
            InFlight next = backlog.poll();
            if (inFlight.get(next.id) == next) {
                start(next);
            }
        }
    }

    private void acknowledgeFinished() {
        boolean acknowledged = false;
        for (Iterator<InFlight> it = inFlight.values().iterator(); it.hasNext(); ) {
            InFlight item = it.next();
            if (item.state == State.DONE && item.held) {
                consumer.acknowledge(item.record, item.finalAck);
                it.remove();
                acknowledged = true;
            }
        }
        if (acknowledged) {
            consumer.commitAsync();
        }
    }

    /** Drops finished items whose record never came back from a renewal: their lock is gone. */
    private void forgetLost(long now) {
        long limit = TimeUnit.MILLISECONDS.toNanos(lockMs + MAX_POLL.toMillis());
        for (Iterator<InFlight> it = inFlight.values().iterator(); it.hasNext(); ) {
            InFlight item = it.next();
            if (item.state == State.DONE && !item.held && now - item.lockRefreshedAt > limit) {
                log.warn("Work record {} finished but its lock expired before it could be acknowledged; the group"
                        + " delivers it again and the engine drops the second result", item.id);
                it.remove();
            }
        }
    }

    /** Runs on this runner's thread, inside poll or commitAsync. */
    private void onAcknowledgementsCommitted(Map<TopicIdPartition, Set<Long>> offsets, Exception error) {
        if (error == null) {
            return;
        }
        log.warn("Pool {}: acknowledgements of {} failed: {}", pool, offsets, error.toString());
        offsets.forEach((partition, offsetSet) -> {
            for (long offset : offsetSet) {
                InFlight item = inFlight.get(new RecordId(partition.topic(), partition.partition(), offset));
                if (item != null && !item.held) {
                    item.lost = true;
                    if (item.state == State.DONE) {
                        inFlight.remove(item.id);
                    } else if (item.state == State.QUEUED) {
                        inFlight.remove(item.id);
                    }
                }
            }
        });
    }

    // ---- on the item's virtual thread ----

    private void process(RecordId id, ConsumerRecord<byte[], byte[]> record) {
        try {
            handle(id, record);
        } catch (RuntimeException | Error e) {
            log.error("Work record {} failed unexpectedly; releasing it for redelivery", id, e);
            complete(id, AcknowledgeType.RELEASE);
        } finally {
            MDC.clear();
        }
    }

    private void handle(RecordId id, ConsumerRecord<byte[], byte[]> record) {
        int deliveryCount = record.deliveryCount().map(Short::intValue).orElse(1);
        WorkRequest request;
        try {
            request = REQUESTS.decode(record.value());
            if (request == null) {
                throw new UndecodableRecordException("the record has no value (a tombstone), not a WorkRequest");
            }
        } catch (UndecodableRecordException e) {
            toDlq(id, record, e.getMessage());
            return;
        }
        MDC.put("sessionId", request.getSessionId());
        MDC.put("workId", request.getWorkId());
        switch (executor.execute(request, pool, deliveryCount)) {
            case Execution.Answer answer -> publish(id, answer.result());
            case Execution.Retry retry -> {
                log.info("Releasing work {} (delivery {}) after {} ms: {}", request.getWorkId(), deliveryCount,
                        retry.backoffMs(), retry.reason());
                try {
                    Thread.sleep(retry.backoffMs()); // back off before the redelivery; the lock is renewed meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                complete(id, AcknowledgeType.RELEASE);
            }
        }
    }

    private void publish(RecordId id, WorkResult result) {
        byte[] value = RESULTS.encode(result);
        if (value.length > MAX_RESULT_BYTES) {
            log.warn("Result of work {} is {} bytes; publishing an error instead", result.getWorkId(), value.length);
            value = RESULTS.encode(executor.errorResult(result, "the result of work " + result.getWorkId() + " is "
                    + value.length + " bytes, more than the " + MAX_RESULT_BYTES + " a result may have; make the"
                    + " tool return less (e.g. cap its output)"));
        }
        byte[] key = result.getSessionId().getBytes(StandardCharsets.UTF_8);
        send(id, new ProducerRecord<>(Topics.WORK_RESULTS.name(), key, value), AcknowledgeType.ACCEPT);
    }

    private void toDlq(RecordId id, ConsumerRecord<byte[], byte[]> record, String reason) {
        log.warn("Work record {} cannot be decoded; sending it to {}: {}", id, Topics.DLQ.name(), reason);
        var headers = DlqHeaders.of(reason, "tool-workers " + workerId, record.topic(), record.partition(),
                record.offset());
        send(id, new ProducerRecord<>(Topics.DLQ.name(), null, record.key(), record.value(), headers),
                AcknowledgeType.REJECT);
    }

    /** Acknowledges with {@code onSuccess} once the broker has the record, or releases for redelivery if it failed. */
    private void send(RecordId id, ProducerRecord<byte[], byte[]> out, AcknowledgeType onSuccess) {
        try {
            producer.send(out, (metadata, error) -> {
                if (error == null) {
                    answered.incrementAndGet();
                    complete(id, onSuccess);
                } else {
                    log.error("Cannot produce to {} for work record {}; releasing it for redelivery: {}",
                            out.topic(), id, error.toString());
                    complete(id, AcknowledgeType.RELEASE);
                }
            });
        } catch (RuntimeException e) {
            log.error("Cannot produce to {} for work record {}; releasing it for redelivery: {}", out.topic(), id,
                    e.toString());
            complete(id, AcknowledgeType.RELEASE);
        }
    }

    private void complete(RecordId id, AcknowledgeType ack) {
        completions.add(new Completion(id, ack));
        if (inPoll) {
            wakeConsumer();
        }
    }

    private void wakeConsumer() {
        try {
            consumer.wakeup();
        } catch (RuntimeException e) {
            // the consumer is closed: nothing to wake
        }
    }
}
