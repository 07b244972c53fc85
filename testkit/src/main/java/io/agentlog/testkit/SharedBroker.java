package io.agentlog.testkit;

import java.nio.file.Path;

/**
 * One Kafka broker per test JVM, started on the first call to {@link #bootstrapServers()} and stopped (its data
 * deleted) by a shutdown hook when the JVM exits. Tests share it, so they must use their own topics, groups and
 * session ids, or the contract's topics through {@code TopicSetup} (which leaves existing topics alone).
 *
 * <p>Its data lives under the directory named by the system property {@code agentlog.test.dir} (surefire sets it to
 * the module's {@code target/}), else under {@code java.io.tmpdir}.
 */
public final class SharedBroker {

    public static final String TEST_DIR_PROPERTY = "agentlog.test.dir";

    private static KafkaBroker broker;

    private SharedBroker() {}

    /** The shared broker's bootstrap servers; starts it on first use. */
    public static String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** The shared broker, started on first use. */
    public static synchronized KafkaBroker broker() {
        if (broker == null) {
            String base = System.getProperty(TEST_DIR_PROPERTY, System.getProperty("java.io.tmpdir"));
            Path dataDir = Path.of(base, "kafka-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis());
            // attached and deleted on close: KafkaBroker's own shutdown hook stops it when the JVM exits
            broker = KafkaBroker.start(
                    BrokerOptions.builder(dataDir).deleteOnClose(true).build());
        }
        if (!broker.isAlive()) {
            throw new BrokerStartException("the shared Kafka broker (pid " + broker.pid() + ") has died; the end of "
                    + broker.logFile() + ":\n" + broker.logTail(60));
        }
        return broker;
    }
}
