package io.agentlog.worker.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * Asks the partition's leader: {@code ListOffsets} for the latest offset answers with the epoch of the leader's
 * newest leader-epoch entry, which a broker adds when it becomes leader, before it serves anything. Measured on a
 * 3-broker cluster (Kafka 4.4.0): a record written in epoch 0 and held when its leader was killed came back from the
 * new leader as delivery 1 with {@code leaderEpoch()} 0, and this answered 1 without any new record written.
 * One request per call, 3-20 ms on the loaded 2-core development machine.
 */
public final class AdminLeaderEpochs implements LeaderEpochs {

    private final Admin admin;
    private final Duration timeout;

    public AdminLeaderEpochs(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    @Override
    public int current(TopicPartition partition) {
        try {
            ListOffsetsResult.ListOffsetsResultInfo info = admin.listOffsets(
                            Map.of(partition, OffsetSpec.latest()),
                            new ListOffsetsOptions().timeoutMs((int) timeout.toMillis()))
                    .partitionResult(partition)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return info.leaderEpoch()
                    .orElseThrow(() -> new KafkaException("the leader of " + partition + " sent no leader epoch"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while asking for the leader epoch of " + partition, e);
        } catch (ExecutionException e) {
            throw new KafkaException(
                    "cannot learn the leader epoch of " + partition + ": " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new KafkaException("no leader epoch of " + partition + " within " + timeout, e);
        }
    }
}
