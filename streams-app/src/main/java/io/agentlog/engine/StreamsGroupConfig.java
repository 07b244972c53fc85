package io.agentlog.engine;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Settings that the streams rebalance protocol (KIP-1071) keeps on the group, not the client:
 * the client's {@code num.standby.replicas} is not used by that protocol.
 */
final class StreamsGroupConfig {

    static final String STANDBY_REPLICAS = "streams.num.standby.replicas";

    private StreamsGroupConfig() {}

    static void setStandbyReplicas(EngineConfig config) {
        try (Admin admin = Admin.create(config.clientProperties())) {
            var group = new ConfigResource(ConfigResource.Type.GROUP, config.applicationId());
            var op = new AlterConfigOp(
                    new ConfigEntry(STANDBY_REPLICAS, String.valueOf(config.standbyReplicas())),
                    AlterConfigOp.OpType.SET);
            admin.incrementalAlterConfigs(Map.of(group, List.of(op))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot set " + STANDBY_REPLICAS + "=" + config.standbyReplicas() + " on group "
                            + config.applicationId() + ": " + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while configuring group " + config.applicationId(), e);
        }
    }
}
