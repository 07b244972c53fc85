package io.agentlog.schemas;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka client properties that every agentlog process (engine, worker, CLI, client, bench) adds to each Kafka client it
 * creates: how to reach a secured cluster (SASL, TLS) and other connection settings, from a Java properties file in
 * the format of Kafka's own {@code client.properties} ({@code --kafka-config FILE}, or the file named by
 * {@value #ENV}). See docs/security.md.
 *
 * <p>The settings agentlog's guarantees rest on cannot be changed there: a file that sets one of {@link #RESERVED} is
 * refused with the reason, as is {@code bootstrap.servers}, which has its own option.
 */
public final class KafkaClientProperties {

    private static final Logger log = LoggerFactory.getLogger(KafkaClientProperties.class);

    /** The environment variable naming the file, for processes started without the command-line option. */
    public static final String ENV = "AGENTLOG_KAFKA_CONFIG";

    /** Keys agentlog sets itself for each client, because exactly-once, ordering or routing depend on them. */
    public static final Set<String> RESERVED = Set.of(
            "bootstrap.servers",
            "client.id",
            "key.serializer",
            "value.serializer",
            "key.deserializer",
            "value.deserializer",
            "group.id",
            "group.protocol",
            "group.instance.id",
            "share.acknowledgement.mode",
            "share.acquire.mode",
            "transactional.id",
            "enable.idempotence",
            "acks",
            "isolation.level",
            "enable.auto.commit",
            "auto.offset.reset",
            "application.id",
            "processing.guarantee",
            "partitioner.class");

    private KafkaClientProperties() {}

    /** None: a plaintext cluster without authentication. */
    public static Map<String, String> none() {
        return Map.of();
    }

    /**
     * The properties in {@code file}.
     *
     * @throws IllegalArgumentException when the file cannot be read, or sets a reserved key (the message names the
     *     file and the keys)
     */
    public static Map<String, String> load(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read the Kafka client properties file " + file + ": " + reasonOf(e), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "the Kafka client properties file " + file + " is not a properties file: " + e.getMessage(), e);
        }
        Map<String, String> values = new TreeMap<>();
        properties
                .stringPropertyNames()
                .forEach(key ->
                        values.put(key.strip(), properties.getProperty(key).strip()));
        Set<String> reserved = reservedIn(values.keySet());
        if (!reserved.isEmpty()) {
            throw new IllegalArgumentException("the Kafka client properties file " + file + " sets " + reserved
                    + ", which agentlog sets itself"
                    + (reserved.contains("bootstrap.servers")
                            ? " (give the brokers with --bootstrap or" + " AGENTLOG_BOOTSTRAP_SERVERS)"
                            : "")
                    + "; remove "
                    + (reserved.size() == 1 ? "it" : "them")
                    + ". It may set connection and security settings such as security.protocol, sasl.mechanism,"
                    + " sasl.jaas.config and ssl.truststore.location");
        }
        warnIfOthersCanRead(file, values);
        return Map.copyOf(values);
    }

    /** Those of {@code keys} that agentlog sets itself ({@link #RESERVED}), in order; empty when there are none. */
    public static Set<String> reservedIn(java.util.Collection<String> keys) {
        return keys.stream().filter(RESERVED::contains).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /** The properties in the file named by {@value #ENV}, or none when it is unset or blank. */
    public static Map<String, String> fromEnv(Map<String, String> env) {
        return new Env(env)
                .text(ENV)
                .map(Path::of)
                .map(KafkaClientProperties::load)
                .orElse(none());
    }

    /** The properties of {@code file} when given, else those named by {@value #ENV} in {@code env}. */
    public static Map<String, String> of(Optional<Path> file, Map<String, String> env) {
        return file.map(KafkaClientProperties::load).orElseGet(() -> fromEnv(env));
    }

    private static void warnIfOthersCanRead(Path file, Map<String, String> values) {
        boolean secret = values.keySet().stream()
                .anyMatch(key -> key.contains("password") || key.endsWith("jaas.config") || key.contains("secret"));
        if (!secret) {
            return;
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn(
                        "The Kafka client properties file {} holds credentials and every user of this machine can read"
                                + " it; chmod o-r it",
                        file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system, or gone since it was read: nothing to say
        }
    }

    private static String reasonOf(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException
                ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.toString();
    }
}
