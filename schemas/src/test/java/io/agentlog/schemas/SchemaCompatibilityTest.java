package io.agentlog.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ControlCommand;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.TaskSubmitted;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every record that crosses a topic or a changelog must stay readable by new code after an
 * upgrade: the current schemas must read records written with the last release's (kept, fully
 * resolved, in {@link SchemaHistory}). That is Avro's backward compatibility, the policy
 * of a schema registry's default: a new field needs a default, and a new event type (a new union
 * branch) is allowed, so consumers of agentlog.events upgrade before the engine does.
 */
class SchemaCompatibilityTest {

    static final String RELEASE = SchemaHistory.RELEASES.getLast();

    static Stream<Arguments> types() {
        return List.of(
                        TaskSubmitted.getClassSchema(),
                        ControlCommand.getClassSchema(),
                        WorkRequest.getClassSchema(),
                        WorkResult.getClassSchema(),
                        SessionEvent.getClassSchema(),
                        SessionResult.getClassSchema(),
                        AgentDefinition.getClassSchema(),
                        SessionState.getClassSchema(),
                        Message.getClassSchema())
                .stream()
                .map(schema -> Arguments.of(schema.getName(), schema));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void shouldStayCompatibleWithTheLastRelease(String name, Schema current) {
        Schema released = released(name);

        var backward = SchemaCompatibility.checkReaderWriterCompatibility(current, released);

        assertThat(backward.getType())
                .as("new %s reads %s records: %s", name, RELEASE, backward.getDescription())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    private static Schema released(String name) {
        return SchemaHistory.released(RELEASE, name)
                .orElseThrow(() -> new AssertionError("no released schema of " + name + " in " + RELEASE));
    }
}
