package io.agentlog.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A JMX connection to a child process's loopback connector ({@code io.agentlog.testkit.Jmx}): the broker's request
 * counts by type, a JVM's heap after a full collection.
 */
final class JmxProbe implements AutoCloseable {

    /** The connector opens while the JVM starts; connecting is retried to a deadline. */
    private static final Duration CONNECT_PAUSE = Duration.ofMillis(250);

    /** One meter per request type and version; {@code Count} is how many the broker received since it started. */
    static final String REQUESTS = "kafka.network:type=RequestMetrics,name=RequestsPerSec,*";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private final String what;
    private final JMXConnector connector;
    private final MBeanServerConnection connection;

    private JmxProbe(String what, JMXConnector connector) throws IOException {
        this.what = what;
        this.connector = connector;
        this.connection = connector.getMBeanServerConnection();
    }

    /**
     * Connects to {@code 127.0.0.1:port}, retrying for a while (a child that just started may not listen yet).
     *
     * @param what names the process in messages, e.g. {@code the broker (pid 123)}
     */
    static JmxProbe connect(String what, int port) {
        String url = "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi";
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        while (true) {
            try {
                return new JmxProbe(what, JMXConnectorFactory.connect(new JMXServiceURL(url)));
            } catch (IOException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new BenchException(
                            "cannot reach the JMX connector of " + what + " at " + url + " within "
                                    + CONNECT_TIMEOUT.toSeconds() + " s: " + e.getMessage(),
                            e);
                }
                Pause.pause(CONNECT_PAUSE, "connecting over JMX");
            }
        }
    }

    /** Requests received so far, by request type (summed over versions), e.g. {@code Produce}, {@code ShareFetch}. */
    Map<String, Long> requestCounts() {
        Map<String, Long> counts = new TreeMap<>();
        try {
            Set<ObjectName> names = connection.queryNames(new ObjectName(REQUESTS), null);
            for (ObjectName name : names) {
                String type = name.getKeyProperty("request");
                Object count = connection.getAttribute(name, "Count");
                if (type != null && count instanceof Number n) {
                    counts.merge(type, n.longValue(), Long::sum);
                }
            }
            return counts;
        } catch (IOException | JMException e) {
            throw new BenchException("cannot read the request metrics of " + what + " over JMX: " + e.getMessage(), e);
        }
    }

    /** Runs a full collection ({@code System.gc()} in the process) and then reads its heap. */
    MemoryUsage heapAfterGc() {
        try {
            MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(
                    connection, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
            memory.gc();
            memory.gc(); // a second pass collects what the first one's finalization and reference processing freed
            return memory.getHeapMemoryUsage();
        } catch (IOException | RuntimeException e) {
            throw new BenchException("cannot collect and read the heap of " + what + " over JMX: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            connector.close();
        } catch (IOException e) {
            // the process may be gone already; nothing to release
        }
    }
}
