package io.agentlog.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEnded;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.Usage;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AvroJsonTest {

    @Test
    void shouldUnwrapUnionsAndNameEnumsWhenRenderingResult() {
        // Given
        SessionResult result = SessionResult.newBuilder()
                .setSessionId("s-1")
                .setStatus(ResultStatus.COMPLETED)
                .setOutput("done")
                .setAgent("demo")
                .setAgentVersion(2)
                .setUsage(new Usage(10L, 5L, 0L, 0L))
                .setStartedAt(Instant.parse("2026-01-02T03:04:05.678Z"))
                .setFinishedAt(Instant.parse("2026-01-02T03:04:06Z"))
                .build();

        // When
        String json = AvroJson.toJson(result);

        // Then
        assertThat(json)
                .isEqualTo("{\"sessionId\":\"s-1\",\"status\":\"COMPLETED\",\"output\":\"done\","
                        + "\"error\":null,\"agent\":\"demo\",\"agentVersion\":2,\"parentSessionId\":null,\"steps\":0,"
                        + "\"toolCalls\":0,\"usage\":{\"inputTokens\":10,\"outputTokens\":5,\"costMicros\":0,\"cachedInputTokens\":0},"
                        + "\"startedAt\":\"2026-01-02T03:04:05.678Z\",\"finishedAt\":\"2026-01-02T03:04:06Z\"}");
    }

    @Test
    void shouldRenderNestedUnionRecordWhenEventHoldsOne() {
        // Given
        SessionEvent event = SessionEvent.newBuilder()
                .setSessionId("s-1")
                .setSeq(4)
                .setAt(Instant.parse("2026-01-02T03:04:05Z"))
                .setEvent(new SessionEnded(ResultStatus.FAILED, null, "boom"))
                .build();

        // When
        String json = AvroJson.toPrettyJson(event);

        // Then
        assertThat(AvroJson.toTree(event).get("event").get("error").asText()).isEqualTo("boom");
        assertThat(json).contains("\"status\" : \"FAILED\"");
    }

    @Test
    void shouldReadBackWhatItRenderedWhenGivenTheSchema() {
        // Given records with unions, enums, timestamps, maps, arrays, doubles and nested records
        SessionResult result = SessionResult.newBuilder()
                .setSessionId("s-1")
                .setStatus(ResultStatus.FAILED)
                .setError("boom")
                .setAgent("demo")
                .setUsage(new Usage(10L, 5L, 7L, 1L))
                .setStartedAt(Instant.parse("2026-01-02T03:04:05.678Z"))
                .setFinishedAt(Instant.parse("2026-01-02T03:04:06Z"))
                .build();
        AgentDefinition definition = AgentDefinitions.parse("""
                name: demo
                version: 3
                model: {provider: scripted, temperature: 0.25}
                tools: [write_file, {name: read_file, requiresApproval: true}]
                script:
                  - toolCalls:
                      - {id: w1, name: write_file, arguments: {path: a.txt, content: hi}}
                  - text: done
                """, "demo.yaml");

        // When they are rendered and read back
        Object resultBack = AvroJson.fromTree(AvroJson.toTree(result), SessionResult.getClassSchema());
        Object definitionBack = AvroJson.fromTree(AvroJson.toTree(definition), AgentDefinition.getClassSchema());

        // Then they are the same records
        assertThat(resultBack).isEqualTo(result);
        assertThat(definitionBack).isEqualTo(definition);
    }

    @Test
    void shouldNameTheFieldWhenJsonDoesNotFitTheSchema() {
        // Given a result whose required agent is null
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) AvroJson.toTree(SessionResult.newBuilder()
                .setSessionId("s-1")
                .setStatus(ResultStatus.COMPLETED)
                .setAgent("demo")
                .setUsage(new Usage(0L, 0L, 0L, 0L))
                .build());
        json.putNull("agent");

        // Then reading it fails with the field's path
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> AvroJson.fromTree(json, SessionResult.getClassSchema()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SessionResult.agent");
    }
}
