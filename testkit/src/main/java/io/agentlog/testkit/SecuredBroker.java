package io.agentlog.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * A single-node Kafka whose client listener is {@code SASL_SSL}: TLS with a certificate for 127.0.0.1 made for it,
 * SCRAM-SHA-512 users created when its storage is formatted, and ACL authorization (KRaft's
 * {@code StandardAuthorizer}, nothing allowed without an ACL). The user {@value #ADMIN} is a super user; give the
 * others ACLs through {@link #admin()}. The controller listener stays PLAINTEXT on loopback, as the node's own
 * channel, so its anonymous principal is a super user too.
 */
public final class SecuredBroker implements AutoCloseable {

    public static final String ADMIN = "admin";
    public static final String MECHANISM = "SCRAM-SHA-512";

    private final KafkaBroker broker;
    private final Path truststore;
    private final String storePassword;
    private final Map<String, String> passwords;

    private SecuredBroker(KafkaBroker broker, Path truststore, String storePassword, Map<String, String> passwords) {
        this.broker = broker;
        this.truststore = truststore;
        this.storePassword = storePassword;
        this.passwords = passwords;
    }

    /**
     * Starts it with {@value #ADMIN} and {@code users} (each with a password of its own) in {@code dataDir}, deleted on
     * close.
     */
    public static SecuredBroker start(Path dataDir, List<String> users) {
        String storePassword = "store-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
        Map<String, String> passwords = new LinkedHashMap<>();
        passwords.put(ADMIN, ADMIN + "-secret");
        users.forEach(user -> passwords.put(user, user + "-secret"));
        Path tls = dataDir.resolve("tls");
        Path keystore = tls.resolve("broker.p12");
        Path truststore = tls.resolve("truststore.p12");
        makeCertificate(tls, keystore, truststore, storePassword);

        List<String> scram = new ArrayList<>();
        passwords.forEach((user, password) -> {
            scram.add("--add-scram");
            scram.add(MECHANISM + "=[name=" + user + ",password=" + password + "]");
        });
        int port = KafkaBroker.freePort();
        int controllerPort = KafkaBroker.freePort(port);
        Map<String, String> config = new LinkedHashMap<>();
        config.put(
                "listeners",
                "SASL_SSL://" + KafkaBroker.HOST + ":" + port + ",CONTROLLER://" + KafkaBroker.HOST + ":"
                        + controllerPort);
        config.put("advertised.listeners", "SASL_SSL://" + KafkaBroker.HOST + ":" + port);
        config.put("inter.broker.listener.name", "SASL_SSL");
        config.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL");
        config.put("sasl.enabled.mechanisms", MECHANISM);
        config.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        config.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", jaas(ADMIN, passwords.get(ADMIN)));
        config.put("ssl.keystore.location", keystore.toString());
        config.put("ssl.keystore.password", storePassword);
        config.put("ssl.keystore.type", "PKCS12");
        config.put("ssl.truststore.location", truststore.toString());
        config.put("ssl.truststore.password", storePassword);
        config.put("ssl.truststore.type", "PKCS12");
        config.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        config.put("allow.everyone.if.no.acl.found", "false");
        config.put("super.users", "User:" + ADMIN + ";User:ANONYMOUS");

        KafkaBroker broker = KafkaBroker.start(BrokerOptions.builder(dataDir)
                .port(port)
                .controllerPort(controllerPort)
                .deleteOnClose(true)
                .overrides(config)
                .formatArgs(scram)
                .clientConfigs(clientConfigs(ADMIN, passwords.get(ADMIN), truststore, storePassword))
                .build());
        return new SecuredBroker(broker, truststore, storePassword, passwords);
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public KafkaBroker broker() {
        return broker;
    }

    /**
     * What a client of {@code user} needs besides the bootstrap servers: SASL_SSL, SCRAM-SHA-512 with its password,
     * and the truststore that holds the broker's certificate. The form of a client properties file.
     */
    public Map<String, String> clientConfigs(String user) {
        String password = passwords.get(user);
        if (password == null) {
            throw new IllegalArgumentException("no user " + user + "; the broker has " + passwords.keySet());
        }
        return clientConfigs(user, password, truststore, storePassword);
    }

    private static Map<String, String> clientConfigs(
            String user, String password, Path truststore, String storePassword) {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("security.protocol", "SASL_SSL");
        configs.put("sasl.mechanism", MECHANISM);
        configs.put("sasl.jaas.config", jaas(user, password));
        configs.put("ssl.truststore.location", truststore.toString());
        configs.put("ssl.truststore.password", storePassword);
        configs.put("ssl.truststore.type", "PKCS12");
        return configs;
    }

    /** An admin client of the super user {@value #ADMIN}. */
    public Admin admin() {
        Map<String, Object> configs = new LinkedHashMap<>(clientConfigs(ADMIN));
        configs.put("bootstrap.servers", bootstrapServers());
        return Admin.create(configs);
    }

    @Override
    public void close() {
        broker.close();
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password + "\";";
    }

    /** A self-signed certificate for 127.0.0.1 in {@code keystore}, trusted by {@code truststore}, with keytool. */
    private static void makeCertificate(Path dir, Path keystore, Path truststore, String password) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path certificate = dir.resolve("broker.crt");
        keytool(
                dir,
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=" + KafkaBroker.HOST,
                "-ext",
                "SAN=ip:" + KafkaBroker.HOST + ",dns:localhost",
                "-keystore",
                keystore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password,
                "-keypass",
                password);
        keytool(
                dir,
                "-exportcert",
                "-alias",
                "broker",
                "-keystore",
                keystore.toString(),
                "-storepass",
                password,
                "-rfc",
                "-file",
                certificate.toString());
        keytool(
                dir,
                "-importcert",
                "-noprompt",
                "-alias",
                "broker",
                "-file",
                certificate.toString(),
                "-keystore",
                truststore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
    }

    private static void keytool(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Path log = dir.resolve("keytool.log");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new BrokerStartException(
                        "keytool " + args[0] + " failed; its output:\n" + KafkaBroker.tail(log, 20));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run keytool: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerStartException("interrupted while making the broker's certificate", e);
        }
    }
}
