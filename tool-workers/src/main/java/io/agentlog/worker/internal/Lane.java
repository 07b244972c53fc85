package io.agentlog.worker.internal;

import io.agentlog.schemas.AvroSerde;
import io.agentlog.schemas.DlqHeaders;
import io.agentlog.schemas.StreamChunk;
import io.agentlog.schemas.Topics;
import io.agentlog.schemas.UndecodableRecordException;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One share consumer of a worker pool ({@code agentlog.work.<pool>}, share group {@code agentlog-<pool>}) in explicit
 * acknowledgement mode, working on one batch of at most {@code batchSize} items at a time, each on a virtual thread.
 * A worker runs several lanes per pool; together they give the pool its concurrency.
 *
 * <p>Why batches, and why several consumers: in Kafka 4.4.0 a share consumer returns new records only once every
 * record it returned before has a final acknowledgement (explicit mode forbids polling past unacknowledged records,
 * and a consumer whose records are being renewed keeps returning just those). Measured here: a consumer that keeps
 * polling while it renews a record fetches other records into its buffer, where they sit until their locks expire and
 * are then delivered again, counted twice. So a lane does not poll while its batch runs, except to renew: every third
 * of the lock duration it acknowledges its running records {@code RENEW}, commits synchronously, and polls once to get
 * them back (that poll returns only them). Finished items are acknowledged at once, and the acknowledgements go to
 * the broker with the batch's next fetch.
 *
 * <p>An item's virtual thread produces its {@code WorkResult} (or, for bytes that are no {@code WorkRequest}, the
 * record to the DLQ) and, once the broker has it, queues a {@link Completion}; the lane then acknowledges
 * ({@code ACCEPT} after a result, {@code REJECT} after the DLQ, {@code RELEASE} after a transient failure); the
 * acknowledgement is sent with the lane's next share fetch, once its batch is done. A result is durable before its
 * item is acknowledged: a crash in between redelivers the item, which is answered from its committed result (and the
 * engine drops a second result by its {@code workId}).
 */
public final class Lane implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Lane.class);

    static final Duration POLL_TIMEOUT = Duration.ofSeconds(1);
    /** Enough for the records of a completed renewal to be returned; that poll fetches nothing new. */
    static final Duration RENEWAL_POLL_TIMEOUT = Duration.ofMillis(200);

    static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(30);
    static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(10);
    static final long DEFAULT_LOCK_MS = 30_000;
    /**
     * The results producer's {@code max.request.size} and the results topic allow {@link Topics#MAX_WORK_RECORD_BYTES}
     * (a sandbox result carries changed files); a result above this, which leaves room for the record's overhead, is
     * replaced by a small error result.
     */
    static final int MAX_RESULT_BYTES = Topics.MAX_WORK_RECORD_BYTES - 64 * 1024;

    private static final AvroSerde<WorkRequest> REQUESTS = AvroSerde.of(WorkRequest.class);
    private static final AvroSerde<WorkResult> RESULTS = AvroSerde.of(WorkResult.class);

    private final String pool;
    private final String name;
    private final String topic;
    private final String workerId;
    private final ShareConsumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final WorkExecutor executor;
    private final Cancellations cancellations;
    private final WorkerMetrics metrics;
    private final WorkSpans spans;
    private final ThreadFactory workThreads;
    private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong lostLocks = new AtomicLong();
    private final AtomicLong alreadyAnswered = new AtomicLong();
    private final AtomicLong claimedEarlier = new AtomicLong();
    private final AtomicLong delayedReported = new AtomicLong();
    /** {@code inFlight.size()} for other threads (the metrics), set by the lane's thread. */
    private final AtomicInteger held = new AtomicInteger();

    private volatile boolean stopping;
    private volatile long stopDeadlineNanos;
    private volatile Throwable failure;

    // Touched by the lane's thread only.
    private final Map<RecordId, InFlight> inFlight = new HashMap<>();
    private long lockMs = DEFAULT_LOCK_MS;
    /** Acknowledged items whose acknowledgement has not gone to the broker yet (it goes with the next fetch). */
    private boolean unsentAcknowledgements;

    public Lane(
            String pool,
            int index,
            String workerId,
            ShareConsumer<byte[], byte[]> consumer,
            Producer<byte[], byte[]> producer,
            WorkExecutor executor,
            Cancellations cancellations,
            WorkerMetrics metrics,
            WorkSpans spans) {
        this.pool = pool;
        this.spans = spans;
        this.name = pool + "-" + index;
        this.topic = Topics.workTopicName(pool);
        this.workerId = workerId;
        this.consumer = consumer;
        this.producer = producer;
        this.executor = executor;
        this.cancellations = cancellations;
        this.metrics = metrics;
        this.workThreads =
                Thread.ofVirtual().name("agentlog-" + name + "-work-", 0).factory();
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

    /** An item's end, reported by its virtual thread; {@code id == null} only wakes the lane. */
    private record Completion(RecordId id, AcknowledgeType ack) {

        static final Completion WAKE = new Completion(null, null);
    }

    private static final class InFlight {
        final RecordId id;
        ConsumerRecord<byte[], byte[]> record;
        int deliveryCount;
        /** The final acknowledgement, once the item's work is over. */
        AcknowledgeType finalAck;
        /** The broker lost our lock (a failed renewal): never acknowledge this delivery. */
        boolean lost;
        /** No later than the broker last (re)started the lock. */
        long lockRefreshedAt;

        Thread thread;

        InFlight(ConsumerRecord<byte[], byte[]> record, long now) {
            this.id = RecordId.of(record);
            this.record = record;
            this.deliveryCount = deliveryCount(record);
            this.lockRefreshedAt = now;
        }

        boolean done() {
            return finalAck != null;
        }
    }

    public String pool() {
        return pool;
    }

    public String name() {
        return name;
    }

    /** Results and DLQ entries produced so far. */
    public long answered() {
        return answered.get();
    }

    /**
     * Deliveries whose acquisition lock this lane lost while it still worked on them (a failed renewal, or the record
     * delivered again): each may cause a second run elsewhere and a duplicate result. Should stay 0.
     */
    public long lostLocks() {
        return lostLocks.get();
    }

    /** Redelivered items acknowledged without running because an earlier delivery's result was committed. */
    public long alreadyAnswered() {
        return alreadyAnswered.get();
    }

    /** First deliveries of at-most-once tools not run because another delivery had claimed the call first. */
    public long claimedEarlier() {
        return claimedEarlier.get();
    }

    /** {@code DELAYED} results published (a model call waiting to try again, or redelivered). */
    public long delayedReported() {
        return delayedReported.get();
    }

    /** Items the lane holds: running, or finished and not yet acknowledged. */
    public int inFlight() {
        return held.get();
    }

    public boolean isRunning() {
        return stopped.getCount() > 0;
    }

    /** Why the lane stopped on its own, if it did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Stops taking new work; running items get {@code grace} to finish and be acknowledged. An idle lane is not woken
     * from its poll: a share fetch under way may already have acquired records, which a closing consumer would hand
     * back already counted as a delivery (an at-most-once tool would then answer OUTCOME_UNKNOWN without having
     * run). The lane lets that poll end (at most {@link #POLL_TIMEOUT}) and runs what it returns.
     */
    public void stop(Duration grace) {
        stopDeadlineNanos = System.nanoTime() + grace.toNanos();
        stopping = true;
        completions.add(Completion.WAKE);
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void run() {
        try {
            consumer.setAcknowledgementCommitCallback(this::onAcknowledgementsCommitted);
            consumer.subscribe(List.of(topic));
            loop();
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error(
                    "Lane {} stopped after an unexpected error; its unacknowledged work will be redelivered", name, e);
        } finally {
            for (InFlight item : inFlight.values()) {
                if (item.thread != null) {
                    item.thread.interrupt();
                }
            }
            if (!inFlight.isEmpty()) {
                log.warn(
                        "Lane {} closes with {} unfinished item(s); the group delivers them again",
                        name,
                        inFlight.size());
            }
            try {
                consumer.close(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("Closing the share consumer of lane {} failed: {}", name, e.toString());
            }
            stopped.countDown();
        }
    }

    private void loop() {
        while (true) {
            long now = System.nanoTime();
            if (stopping && (inFlight.isEmpty() || now - stopDeadlineNanos >= 0)) {
                if (!inFlight.isEmpty()) {
                    log.warn("Lane {}: shutdown grace over with {} item(s) unfinished", name, inFlight.size());
                }
                commitAcknowledgements();
                return;
            }
            if (inFlight.isEmpty()) {
                accept(poll(POLL_TIMEOUT), System.nanoTime());
            } else if (nextRenewal() - now <= 0) {
                renew();
            } else {
                awaitCompletion(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextRenewal() - now)));
            }
            applyCompletions();
            acknowledgeFinished();
            held.set(inFlight.size());
        }
    }

    private ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        try {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
            unsentAcknowledgements = false; // the fetch carried them
            if (!records.isEmpty()) {
                consumer.acquisitionLockTimeoutMs().ifPresent(ms -> lockMs = ms);
            }
            return records;
        } catch (WakeupException e) {
            return ConsumerRecords.empty();
        }
    }

    private void accept(ConsumerRecords<byte[], byte[]> records, long now) {
        long deliveredAt = System.nanoTime(); // the poll has returned: every record in it was acquired before
        for (ConsumerRecord<byte[], byte[]> record : records) {
            RecordId id = RecordId.of(record);
            InFlight item = inFlight.get(id);
            if (item == null) {
                item = new InFlight(record, now);
                inFlight.put(id, item);
                start(item, deliveredAt);
            } else {
                // back from a renewal
                if (deliveryCount(record) != item.deliveryCount) {
                    lostLocks.incrementAndGet();
                    log.warn(
                            "Work record {} came back as delivery {} while this lane still had it: its lock had"
                                    + " expired",
                            id,
                            deliveryCount(record));
                    item.deliveryCount = deliveryCount(record);
                }
                item.record = record;
                item.lost = false;
            }
        }
    }

    private void start(InFlight item, long deliveredAt) {
        ConsumerRecord<byte[], byte[]> record = item.record;
        item.thread = workThreads.newThread(() -> process(item.id, record, deliveredAt));
        item.thread.start();
    }

    private long nextRenewal() {
        long next = 0;
        boolean any = false;
        for (InFlight item : inFlight.values()) {
            long due = item.lockRefreshedAt + TimeUnit.MILLISECONDS.toNanos(lockMs / 3);
            if (!any || due - next < 0) {
                next = due;
                any = true;
            }
        }
        return any ? next : System.nanoTime() + POLL_TIMEOUT.toNanos();
    }

    /**
     * Keeps the batch's locks: RENEW every running record, commit synchronously (so no renewal is pending when we
     * poll, or the poll would fetch records it then cannot return), and poll once to get the records back.
     */
    private void renew() {
        long now = System.nanoTime();
        int renewing = 0;
        for (InFlight item : inFlight.values()) {
            if (!item.done() && !item.lost) {
                consumer.acknowledge(item.record, AcknowledgeType.RENEW);
                renewing++;
            }
        }
        if (renewing == 0) {
            // only lost items are left: wait for them to finish, then drop them
            inFlight.values().forEach(item -> item.lockRefreshedAt = now);
            return;
        }
        Map<TopicIdPartition, Optional<KafkaException>> outcome;
        try {
            outcome = consumer.commitSync(COMMIT_TIMEOUT);
        } catch (WakeupException e) {
            // nothing wakes this consumer, but a wakeup must never cost the batch its locks
            outcome = consumer.commitSync(COMMIT_TIMEOUT);
        }
        unsentAcknowledgements = false;
        outcome.forEach((partition, error) -> error.ifPresent(
                e -> log.warn("Lane {}: renewing the locks of {} failed: {}", name, partition, e.toString())));
        for (InFlight item : inFlight.values()) {
            if (!item.done()) {
                item.lost = true; // until the poll returns it
            }
        }
        ConsumerRecords<byte[], byte[]> renewed;
        try {
            renewed = consumer.poll(RENEWAL_POLL_TIMEOUT);
        } catch (WakeupException e) {
            renewed = consumer.poll(RENEWAL_POLL_TIMEOUT);
        }
        accept(renewed, now);
        for (InFlight item : inFlight.values()) {
            if (item.lost) {
                lostLocks.incrementAndGet();
                log.warn(
                        "Lane {}: lost the lock of work record {}; the group delivers it again and the engine drops"
                                + " the second result",
                        name,
                        item.id);
            }
            item.lockRefreshedAt = now;
        }
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
        if (item != null && !item.done()) {
            item.finalAck = completion.ack();
            item.thread = null;
        }
    }

    /**
     * Every finished item is held (returned by the latest poll): acknowledge it now. The acknowledgements are not sent
     * on their own: they ride on the lane's next share fetch, once the whole batch is done (or on a renewal's commit,
     * or the commit before the consumer closes). A result is durable before its item is acknowledged, so a lane that
     * dies with acknowledgements unsent only has those items delivered again, and they are answered from their
     * committed results ({@link WorkExecutor}) instead of running again. Measured: a ShareAcknowledge request per
     * item was a sixth of the broker's requests per agent step.
     */
    private void acknowledgeFinished() {
        for (Iterator<InFlight> it = inFlight.values().iterator(); it.hasNext(); ) {
            InFlight item = it.next();
            if (!item.done()) {
                continue;
            }
            if (!item.lost) {
                consumer.acknowledge(item.record, item.finalAck);
                unsentAcknowledgements = true;
                metrics.acknowledged(pool, item.finalAck);
            }
            it.remove();
        }
    }

    /** Sends acknowledgements not yet sent (a stopping lane does not poll again). */
    private void commitAcknowledgements() {
        if (!unsentAcknowledgements) {
            return;
        }
        try {
            consumer.commitSync(COMMIT_TIMEOUT)
                    .forEach((partition, error) -> error.ifPresent(e -> log.warn(
                            "Lane {}: acknowledging finished work on {} failed; it is delivered again and answered from its"
                                    + " result: {}",
                            name,
                            partition,
                            e.toString())));
        } catch (RuntimeException e) {
            log.warn("Lane {}: acknowledging finished work failed: {}", name, e.toString());
        }
        unsentAcknowledgements = false;
    }

    /** Runs on the lane's thread, inside poll or a commit. */
    private void onAcknowledgementsCommitted(Map<TopicIdPartition, Set<Long>> offsets, Exception error) {
        if (error != null) {
            log.warn("Lane {}: acknowledgements of {} failed: {}", name, offsets, error.toString());
        }
    }

    // ---- on the item's virtual thread ----

    private static int deliveryCount(ConsumerRecord<?, ?> record) {
        return Delivery.countOf(record);
    }

    private void process(RecordId id, ConsumerRecord<byte[], byte[]> record, long deliveredAt) {
        try {
            handle(id, record, deliveredAt);
        } catch (RuntimeException | Error e) {
            log.error("Work record {} failed unexpectedly; releasing it for redelivery", id, e);
            complete(id, AcknowledgeType.RELEASE);
        } finally {
            MDC.clear();
        }
    }

    private void handle(RecordId id, ConsumerRecord<byte[], byte[]> record, long deliveredAt) {
        Delivery delivery = Delivery.of(record, deliveredAt);
        int deliveryCount = delivery.count();
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
        Optional<Cancellations.Running> running = cancellations.start(request.getSessionId(), request.getWorkId());
        if (running.isEmpty()) {
            log.info("Skipping work {}: its session no longer waits for it (agentlog.cancels)", request.getWorkId());
            complete(id, AcknowledgeType.ACCEPT);
            return;
        }
        Cancellations.Running item = running.get();
        try {
            Execution execution = spans.traced(
                    request,
                    pool,
                    record.headers(),
                    delivery,
                    () -> executor.execute(request, pool, delivery, progress));
            metrics.executed(pool, request, execution, System.nanoTime() - deliveredAt);
            if (item.cancelled()) {
                log.info("Work {} was stopped: its session no longer waits for it", request.getWorkId());
                complete(id, AcknowledgeType.ACCEPT);
                return;
            }
            switch (execution) {
                case Execution.Answer answer -> publish(id, answer.result());
                case Execution.AlreadyAnswered already -> {
                    alreadyAnswered.incrementAndGet();
                    complete(id, AcknowledgeType.ACCEPT);
                }
                case Execution.ClaimedEarlier claimed -> {
                    claimedEarlier.incrementAndGet();
                    complete(id, AcknowledgeType.ACCEPT);
                }
                case Execution.Reject reject -> reject(id, record, reject);
                case Execution.Retry retry -> {
                    log.info(
                            "Releasing work {} (delivery {}) after {} ms: {}",
                            request.getWorkId(),
                            deliveryCount,
                            retry.backoffMs(),
                            retry.reason());
                    try {
                        Thread.sleep(retry.backoffMs()); // back off before the redelivery; the lane keeps the lock
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    complete(id, item.cancelled() ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE);
                }
            }
        } catch (RuntimeException e) {
            if (!item.cancelled()) {
                throw e;
            }
            log.info("Work {} was stopped: its session no longer waits for it ({})", request.getWorkId(), e.toString());
            complete(id, AcknowledgeType.ACCEPT);
        } finally {
            cancellations.finished(request.getSessionId(), request.getWorkId(), item);
        }
    }

    /** What an item's run tells the world while it runs: delays (to its session) and answer text (to watchers). */
    private final WorkExecutor.Progress progress = new WorkExecutor.Progress() {
        @Override
        public void report(WorkResult delayed) {
            reportProgress(delayed);
        }

        @Override
        public void chunk(StreamChunk chunk) {
            streamChunk(chunk);
        }
    };

    /**
     * Sends a piece of a model's answer to {@code agentlog.stream}, keyed by its session, without waiting: chunks are
     * best effort, and a lost one costs a watcher a few words, never the answer (the journal has it).
     */
    private void streamChunk(StreamChunk chunk) {
        producer.send(
                new ProducerRecord<>(
                        Topics.STREAM.name(),
                        chunk.sessionId().getBytes(StandardCharsets.UTF_8),
                        chunk.toJson().getBytes(StandardCharsets.UTF_8)),
                (metadata, error) -> {
                    if (error != null) {
                        log.debug("Dropped a stream chunk of work {}: {}", chunk.workId(), error.toString());
                    }
                });
    }

    /**
     * Publishes a {@code DELAYED} result (the item is still being worked on) and waits until the broker has it, so the
     * engine learns of the delay before the worker waits. A failure is logged: the work goes on, and its result is
     * still its answer.
     */
    private void reportProgress(WorkResult delayed) {
        try {
            producer.send(KafkaResultLookup.record(delayed)).get(PROGRESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            delayedReported.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            log.warn(
                    "Cannot tell session {} that work {} is delayed: {}",
                    delayed.getSessionId(),
                    delayed.getWorkId(),
                    e.toString());
        }
    }

    private void publish(RecordId id, WorkResult result) {
        byte[] value = RESULTS.encode(result);
        if (value.length > MAX_RESULT_BYTES) {
            log.warn("Result of work {} is {} bytes; publishing an error instead", result.getWorkId(), value.length);
            value = RESULTS.encode(executor.errorResult(
                    result,
                    "the result of work " + result.getWorkId() + " is "
                            + value.length + " bytes, more than the " + MAX_RESULT_BYTES
                            + " a result may have; make the"
                            + " tool return less (e.g. cap its output)"));
        }
        byte[] key = result.getSessionId().getBytes(StandardCharsets.UTF_8);
        send(id, new ProducerRecord<>(Topics.WORK_RESULTS.name(), key, value), AcknowledgeType.ACCEPT);
    }

    /**
     * The error result to the session and the record to the DLQ; REJECT once the broker has the result (a DLQ copy
     * that fails, e.g. a record too large for the DLQ topic, is logged: the session must not wait for it), RELEASE if
     * the result failed (a later delivery tries again; the engine drops a second result by its work id).
     */
    private void reject(RecordId id, ConsumerRecord<byte[], byte[]> record, Execution.Reject reject) {
        log.warn(
                "Work record {} is poison; sending it to {} and an error result to the session: {}",
                id,
                Topics.DLQ.name(),
                reject.reason());
        WorkResult result = reject.result();
        metrics.deadLettered(pool);
        var dead = DlqHeaders.record(
                reject.reason(),
                "tool-workers " + workerId,
                record.topic(),
                record.partition(),
                record.offset(),
                record.key(),
                record.value());
        AtomicInteger pending = new AtomicInteger(2);
        AtomicBoolean resultFailed = new AtomicBoolean();
        Runnable done = () -> {
            if (pending.decrementAndGet() == 0) {
                if (!resultFailed.get()) {
                    answered.incrementAndGet();
                }
                complete(id, resultFailed.get() ? AcknowledgeType.RELEASE : AcknowledgeType.REJECT);
            }
        };
        try {
            producer.send(dead, (metadata, error) -> {
                if (error != null) {
                    log.error(
                            "Cannot copy poison work record {} to {} ({} bytes); the session still gets its error"
                                    + " result: {}",
                            id,
                            Topics.DLQ.name(),
                            record.serializedValueSize(),
                            error.toString());
                }
                done.run();
            });
        } catch (RuntimeException e) {
            log.error("Cannot copy poison work record {} to {}: {}", id, Topics.DLQ.name(), e.toString());
            done.run();
        }
        try {
            producer.send(KafkaResultLookup.record(result), (metadata, error) -> {
                if (error != null) {
                    resultFailed.set(true);
                    log.error(
                            "Cannot produce the error result of poison work record {}; releasing it for"
                                    + " redelivery: {}",
                            id,
                            error.toString());
                }
                done.run();
            });
        } catch (RuntimeException e) {
            resultFailed.set(true);
            log.error(
                    "Cannot produce the error result of poison work record {}; releasing it for redelivery: {}",
                    id,
                    e.toString());
            done.run();
        }
    }

    private void toDlq(RecordId id, ConsumerRecord<byte[], byte[]> record, String reason) {
        log.warn("Work record {} cannot be decoded; sending it to {}: {}", id, Topics.DLQ.name(), reason);
        metrics.deadLettered(pool);
        send(
                id,
                DlqHeaders.record(
                        reason,
                        "tool-workers " + workerId,
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        record.key(),
                        record.value()),
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
                    log.error(
                            "Cannot produce to {} for work record {}; releasing it for redelivery: {}",
                            out.topic(),
                            id,
                            error.toString());
                    complete(id, AcknowledgeType.RELEASE);
                }
            });
        } catch (RuntimeException e) {
            log.error(
                    "Cannot produce to {} for work record {}; releasing it for redelivery: {}",
                    out.topic(),
                    id,
                    e.toString());
            complete(id, AcknowledgeType.RELEASE);
        }
    }

    private void complete(RecordId id, AcknowledgeType ack) {
        completions.add(new Completion(id, ack));
    }
}
