package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.schemas.avro.FileChange;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.schemas.avro.Usage;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WorkspaceToolsTest {

    private static final List<String> TOOLS =
            List.of("read_file", "write_file", "edit_file", "list_files", "grep", "bash");

    private EngineDriver engine;
    private WorkRequest model;

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
        engine.register(agent("coder", TOOLS));
        engine.tasks.pipeInput("s1", task("s1", "coder", "x"));
        model = engine.nextModelCall();
        // Given a workspace with two files
        turn(
                call(
                        "w1",
                        "write_file",
                        "{\"path\":\"app.py\",\"content\":\"def f():\\n    return 1\\n\\nprint(f())\\n\"}"),
                call("w2", "write_file", "{\"path\":\"lib/util.py\",\"content\":\"X = 1\\nY = 1\\n\"}"));
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldEditAnExactStringAndRefuseMissingOrAmbiguousOnes() {
        List<Message> results = turn(
                call("a", "edit_file", "{\"path\":\"app.py\",\"old_string\":\"return 1\",\"new_string\":\"return 2\"}"),
                call("b", "edit_file", "{\"path\":\"app.py\",\"old_string\":\"return 9\",\"new_string\":\"x\"}"),
                call("c", "edit_file", "{\"path\":\"lib/util.py\",\"old_string\":\"= 1\",\"new_string\":\"= 2\"}"),
                call(
                        "d",
                        "edit_file",
                        "{\"path\":\"lib/util.py\",\"old_string\":\"= 1\",\"new_string\":\"= 3\",\"replace_all\":true}"),
                call("e", "read_file", "{\"path\":\"app.py\",\"offset\":2,\"limit\":1}"),
                call("f", "read_file", "{\"path\":\"lib/util.py\"}"));

        assertThat(results.get(0).getContent()).isEqualTo("replaced 1 occurrence in app.py");
        assertThat(results.get(1).getIsError()).isTrue();
        assertThat(results.get(1).getContent()).contains("old_string was not found in app.py");
        assertThat(results.get(2).getIsError()).isTrue();
        assertThat(results.get(2).getContent()).contains("occurs 2 times").contains("replace_all");
        assertThat(results.get(3).getContent()).isEqualTo("replaced 2 occurrences in lib/util.py");
        assertThat(results.get(4).getContent()).isEqualTo("    return 2");
        assertThat(results.get(5).getContent()).isEqualTo("X = 3\nY = 3\n");
    }

    @Test
    void shouldGrepWithLineNumbersAndListByGlob() {
        List<Message> results = turn(
                call("a", "grep", "{\"pattern\":\"^[XY] =\"}"),
                call("b", "grep", "{\"pattern\":\"PRINT\",\"ignore_case\":true,\"glob\":\"*.py\"}"),
                call("c", "list_files", "{\"pattern\":\"**/*.py\"}"),
                call("d", "list_files", "{\"pattern\":\"lib/*\"}"),
                call("e", "grep", "{\"pattern\":\"(unclosed\"}"));

        assertThat(results.get(0).getContent()).isEqualTo("lib/util.py:1:X = 1\nlib/util.py:2:Y = 1");
        assertThat(results.get(1).getContent()).isEqualTo("app.py:4:print(f())");
        assertThat(results.get(2).getContent()).isEqualTo("app.py\t34\nlib/util.py\t12");
        assertThat(results.get(3).getContent()).isEqualTo("lib/util.py\t12");
        assertThat(results.get(4).getIsError()).isTrue();
        assertThat(results.get(4).getContent()).contains("invalid regular expression");
    }

    @Test
    void shouldSendTheWorkspaceToASandboxToolAndApplyTheFilesItChanged() {
        // When the model runs bash
        engine.workResults.pipeInput(
                "s1", modelReply(model, "", call("b", "bash", "{\"command\":\"python3 app.py\"}")));
        WorkRequest request = engine.sandboxWork.readValue();
        ToolInvocation invocation = (ToolInvocation) request.getRequest();

        // Then the call carries the workspace
        assertThat(invocation.getFiles()).extracting(FileChange::getPath).containsExactly("app.py", "lib/util.py");

        // And the files it changed come back into the workspace; a path outside it is refused
        engine.workResults.pipeInput(
                "s1",
                WorkResult.newBuilder()
                        .setWorkId(request.getWorkId())
                        .setSessionId("s1")
                        .setOutcome(WorkOutcome.OK)
                        .setResult(ToolOutput.newBuilder()
                                .setContent("exit code: 0")
                                .setFileChanges(List.of(
                                        new FileChange(
                                                "out/result.txt",
                                                ByteBuffer.wrap("1\n".getBytes(StandardCharsets.UTF_8))),
                                        new FileChange("lib/util.py", null),
                                        new FileChange("../../etc/passwd", ByteBuffer.wrap(new byte[] {1}))))
                                .build())
                        .setUsage(new Usage(0L, 0L, 0L, 0L))
                        .build());
        model = engine.nextModelCall();
        Message shown = engine.modelCall(model).getMessages().getLast();
        assertThat(shown.getContent()).startsWith("exit code: 0").contains("[file changes refused: '../../etc/passwd'");
        List<Message> listed = turn(call("l", "list_files", "{}"));
        assertThat(listed.get(0).getContent()).isEqualTo("app.py\t34\nout/result.txt\t2");
        assertThat(engine.allEvents())
                .extracting(SessionEvent::getEvent)
                .filteredOn(FileWritten.class::isInstance)
                .map(e -> (FileWritten) e)
                .anyMatch(e -> e.getPath().equals("lib/util.py") && e.getDeleted());
    }

    /** One model turn with these calls (all inline); returns the TOOL messages the next turn sees. */
    private List<Message> turn(io.agentlog.schemas.avro.ToolCall... calls) {
        engine.workResults.pipeInput("s1", modelReply(model, "", calls));
        model = engine.nextModelCall();
        List<Message> messages = engine.modelCall(model).getMessages();
        List<Message> tools =
                messages.stream().filter(m -> m.getRole() == Role.TOOL).toList();
        return tools.subList(tools.size() - calls.length, tools.size());
    }
}
