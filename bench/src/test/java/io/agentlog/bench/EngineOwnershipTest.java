package io.agentlog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineOwnershipTest {

    @Test
    void shouldFindTheProcessIdWhenTheStateDirHasStreamsProcessMetadata(@TempDir Path stateDir) throws Exception {
        // Given the file Kafka Streams writes into <stateDir>/<applicationId>
        Path appDir = Files.createDirectories(stateDir.resolve("agentlog-engine"));
        Files.writeString(
                appDir.resolve(EngineOwnership.PROCESS_FILE),
                "{\"processId\":\"0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6\",\"newField\":\"x\"}");

        // When / Then
        assertThat(EngineOwnership.processId(stateDir, "agentlog-engine"))
                .hasValue("0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6");
        assertThat(EngineOwnership.processId(stateDir, "other-app")).isEmpty();
        assertThat(EngineOwnership.processIdOf("{}")).isEmpty();
    }
}
