package io.agentlog.engine;

import io.agentlog.engine.internal.BoundedRocksDb;
import io.agentlog.engine.internal.DeadLetterDeserializationHandler;
import io.agentlog.engine.internal.ProductionFailureHandler;
import io.agentlog.engine.internal.ProductionFailures;
import io.agentlog.schemas.Topics;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/** The engine's Kafka Streams configuration; every value that is not a default says why. */
final class StreamsSettings {

    /** How long an idle fetch of the global consumer waits at the broker for data. */
    static final int IDLE_FETCH_WAIT_MS = 5000;

    private StreamsSettings() {}

    static Properties of(EngineConfig config) {
        return of(config, new ProductionFailures());
    }

    static Properties of(EngineConfig config, ProductionFailures failures) {
        Properties props = new Properties();
        // connection and security settings for every client first: the engine's own settings below come after
        props.putAll(config.kafkaProperties());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
        // Store changes, outputs and input offsets commit atomically: a crash replays to the same state.
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // KIP-1071 rebalance protocol: the broker assigns tasks, so a joining or dying instance
        // moves only the tasks it must (standby replicas are then a group config, not a client one).
        props.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "streams");
        // Latency: poll.ms paces an idle stream thread (default 100 ms = ~100 ms per hop), and the
        // commit interval is the transaction length, which read_committed readers wait for.
        props.put(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
        props.put(StreamsConfig.POLL_MS_CONFIG, config.pollTime().toMillis());
        // The global consumer (agents, spend) has the same partitions for life, and a fetch returns as soon
        // as data arrives: waiting 5 s at the broker instead of 0.5 s costs no latency and 9 of 10 idle fetches.
        props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), IDLE_FETCH_WAIT_MS);
        // The three inputs of a task (tasks, control, work results) need no event-time order among them: each
        // record is a step of its own. Never idle a task to wait for another partition's data (the default, 0,
        // still waits whenever a partition's lag says data is on its way, and asks the consumer for lags on every
        // loop): measured, results waited ~0.8 s under load for the partitions beside them.
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
        // Records wait in the producer until the transaction commits (its flush sends them at once), so lingering
        // costs no latency and lets a busy engine send fewer, larger batches.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 100);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 128 * 1024);
        // RocksDB within a fixed memory budget, whatever the number of stores and tasks.
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDb.class.getName());
        // Sandboxed tool calls carry a copy of the session workspace (the work topics accept that much).
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Topics.MAX_WORK_RECORD_BYTES);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        // An undecodable input record goes to the DLQ and processing continues.
        props.put(
                StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetterDeserializationHandler.class.getName());
        // A record the producer cannot write (a topic with a lower limit than the engine's) fails the
        // transaction, as exactly-once must; the handler notes its session so the replayed input ends that
        // session FAILED instead of failing the same way forever.
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, ProductionFailureHandler.class.getName());
        props.put(ProductionFailures.CONFIG, failures);
        // Changelogs as durable as the cluster allows (-1 = the broker's default.replication.factor); with three
        // or more replicas a write needs two in sync, so one lost broker loses no committed step.
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, config.replicationFactor());
        if (config.replicationFactor() >= 3) {
            props.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), "2");
        }
        // How long a dead instance's open transaction blocks its partitions' read_committed readers; above the
        // cluster's broker failure detection, or a lost broker fences the engines.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), (int)
                config.transactionTimeout().toMillis());
        // The engine only ever reads committed work results and tasks.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        // No record cache: every transition is forwarded at once (the stores are written through).
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        return props;
    }
}
