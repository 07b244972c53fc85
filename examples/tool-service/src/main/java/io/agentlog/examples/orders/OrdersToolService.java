package io.agentlog.examples.orders;

import io.agentlog.worker.sdk.ToolCall;
import io.agentlog.worker.sdk.ToolResult;
import io.agentlog.worker.sdk.ToolWorker;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A team's own tool service: serves the {@code orders} pool with one tool, {@code lookup_order}, from an in-memory
 * order book. Agent definitions use it by declaring the tool with {@code pool: orders} (see
 * examples/agents/orders-agent.yaml); the worker checks every call's arguments against {@link #LOOKUP_ORDER_SCHEMA}
 * before {@link #lookupOrder} runs.
 *
 * <p>Settings come from the environment like every agentlog worker's: {@code AGENTLOG_BOOTSTRAP_SERVERS} (default
 * {@code localhost:9092}), {@code AGENTLOG_KAFKA_CONFIG} (a client properties file for a secured cluster),
 * {@code AGENTLOG_WORKER_ID}, {@code AGENTLOG_MAX_CONCURRENCY}. SIGTERM or Ctrl-C stops it cleanly.
 */
public final class OrdersToolService {

    private static final Logger log = LoggerFactory.getLogger(OrdersToolService.class);

    /** The pool agent definitions name ({@code pool: orders}); its work topic is {@code agentlog.work.orders}. */
    static final String POOL = "orders";

    /** The same schema as the tool's {@code parameters} in examples/agents/orders-agent.yaml. */
    static final String LOOKUP_ORDER_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "orderId": {"type": "string", "pattern": "^o-[0-9]+$", "description": "the order id, e.g. o-1001"}
              },
              "required": ["orderId"],
              "additionalProperties": false
            }
            """;

    /** The order book: id to status. A real service would ask its database. */
    private static final Map<String, String> ORDERS = Map.of(
            "o-1001", "order o-1001: 2 books, paid, shipped on 2026-11-28 with tracking number TRK-58213",
            "o-1002", "order o-1002: 1 kettle, paid, packing; ships within 2 days",
            "o-1003", "order o-1003: 3 mugs, cancelled by the customer on 2026-11-20, refunded");

    private OrdersToolService() {}

    public static void main(String[] args) throws InterruptedException {
        int exitCode;
        try (ToolWorker worker = ToolWorker.fromEnv()
                .pool(POOL)
                .tool("lookup_order", LOOKUP_ORDER_SCHEMA, OrdersToolService::lookupOrder)
                .start()) {
            log.info("Serving pool {} (tool lookup_order); stop with Ctrl-C", POOL);
            exitCode = worker.serveUntilShutdown();
        } catch (IllegalArgumentException e) {
            log.error("Bad setting: {}", e.getMessage());
            exitCode = 2;
        }
        System.exit(exitCode);
    }

    /**
     * Looks an order up. Read-only, so running it twice is harmless; a tool that changes something would pass
     * {@code call.idempotencyKey()} to the system it changes.
     */
    static ToolResult lookupOrder(ToolCall call) {
        String orderId = call.arguments().get("orderId").asText();
        log.info(
                "lookup_order {} for session {} (key {}, delivery {})",
                orderId,
                call.sessionId(),
                call.idempotencyKey(),
                call.deliveryCount());
        String order = ORDERS.get(orderId);
        if (order == null) {
            return ToolResult.error("there is no order " + orderId + "; known orders are "
                    + ORDERS.keySet().stream().sorted().toList());
        }
        return ToolResult.ok(order);
    }
}
