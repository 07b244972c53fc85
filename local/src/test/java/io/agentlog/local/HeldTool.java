package io.agentlog.local;

import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.worker.WorkContext;
import io.agentlog.worker.tool.Tool;
import io.agentlog.worker.tool.ToolArguments;
import io.agentlog.worker.tool.ToolOutputs;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A worker tool, {@value #NAME} (argument {@code key}), whose calls run until the test {@linkplain #release releases}
 * their key, their deadline passes, or their work item is cancelled (the worker interrupts the thread): a tool call
 * that runs for as long as a test needs. It remembers which keys started and which were interrupted.
 */
final class HeldTool implements Tool {

    static final String NAME = "hold";

    private final Map<String, CountDownLatch> releases = new ConcurrentHashMap<>();
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    private final Set<String> interrupted = ConcurrentHashMap.newKeySet();
    private volatile boolean releasedAll;

    /** This tool in an agent definition's {@code tools} list (YAML flow style), on {@code pool}. */
    static String spec(String pool) {
        return "{name: " + NAME + ", description: Runs until the test lets it go, pool: " + pool
                + ", parameters: {type: object, properties: {key: {type: string}}, required: [key]}}";
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ToolOutput run(ToolInvocation invocation, WorkContext context) {
        String key = ToolArguments.parse(NAME, invocation.getArguments()).requireString("key");
        started.add(key);
        CountDownLatch latch = latch(key);
        if (releasedAll) { // checked after the latch is in the map: releaseAll counts down every latch it finds there
            latch.countDown();
        }
        try {
            boolean released = latch.await(context.remaining().toMillis(), TimeUnit.MILLISECONDS);
            return released ? ToolOutputs.ok("released " + key) : ToolOutputs.error("held past its deadline: " + key);
        } catch (InterruptedException e) {
            interrupted.add(key);
            Thread.currentThread().interrupt();
            return ToolOutputs.error("interrupted: " + key);
        }
    }

    /** Lets the calls with this key return. */
    void release(String key) {
        latch(key).countDown();
    }

    /** Lets every call return, now and later (before the worker closes, so it need not wait for them). */
    void releaseAll() {
        releasedAll = true;
        releases.values().forEach(CountDownLatch::countDown);
    }

    boolean started(String key) {
        return started.contains(key);
    }

    boolean interrupted(String key) {
        return interrupted.contains(key);
    }

    private CountDownLatch latch(String key) {
        return releases.computeIfAbsent(key, k -> new CountDownLatch(1));
    }
}
