package io.agentlog.testkit;

import java.util.List;

/**
 * A child JVM's JMX connector on 127.0.0.1 only, without authentication or TLS: for benchmarks that read a broker's
 * request counts or an engine's heap from the same machine. Never for a process reachable from elsewhere.
 */
public final class Jmx {

    private Jmx() {}

    /** The JVM options that open the platform MBean server on {@code 127.0.0.1:port} (registry and RMI). */
    public static List<String> loopbackJvmArgs(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("a JMX port must be between 1 and 65535, but was " + port);
        }
        return List.of(
                "-Dcom.sun.management.jmxremote.port=" + port,
                "-Dcom.sun.management.jmxremote.rmi.port=" + port,
                "-Dcom.sun.management.jmxremote.host=" + KafkaBroker.HOST,
                "-Djava.rmi.server.hostname=" + KafkaBroker.HOST,
                "-Dcom.sun.management.jmxremote.local.only=true",
                "-Dcom.sun.management.jmxremote.authenticate=false",
                "-Dcom.sun.management.jmxremote.ssl=false");
    }

    /** The service URL of a connector opened with {@link #loopbackJvmArgs(int)}. */
    public static String serviceUrl(int port) {
        return "service:jmx:rmi:///jndi/rmi://" + KafkaBroker.HOST + ":" + port + "/jmxrmi";
    }

    /** A port that is free on 127.0.0.1 now (it may be taken again before it is used). */
    public static int freePort() {
        return KafkaBroker.freePort();
    }
}
