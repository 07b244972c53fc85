package io.agentlog.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.schemas.avro.ToolInvocation;
import io.agentlog.schemas.avro.ToolOutput;
import io.agentlog.testkit.Prerequisites;
import io.agentlog.worker.WorkContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox pool's tools as the worker runs them: arguments, workspace files in and out, the model's text. */
class SandboxToolTest {

    private static BubblewrapSandbox bubblewrap;

    @BeforeAll
    static void start() {
        bubblewrap = BubblewrapSandbox.create(SandboxLimits.defaults());
    }

    @AfterAll
    static void stop() {
        bubblewrap.close();
    }

    private static void assumeBubblewrap() {
        Prerequisites.require("the bubblewrap sandbox", bubblewrap.unavailableReason());
    }

    private static ToolInvocation call(String tool, String arguments, List<FileChange> files) {
        return ToolInvocation.newBuilder()
                .setToolCallId("c1")
                .setTool(tool)
                .setArguments(arguments)
                .setIdempotencyKey("s1/w1")
                .setTimeoutMs(60_000)
                .setFiles(files)
                .build();
    }

    private static String arguments(String name, String value) {
        return new ObjectMapper().createObjectNode().put(name, value).toString();
    }

    private static WorkContext context() {
        return new WorkContext("s1", "w1", "s1/w1", Instant.now().plusSeconds(60), "test-worker", 1);
    }

    private static FileChange file(String path, String content) {
        return new FileChange(path, ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
    }

    private static String text(FileChange change) {
        return StandardCharsets.UTF_8.decode(change.getContent().duplicate()).toString();
    }

    @Test
    void shouldReturnTheWrittenFileWhenPythonWritesOne() {
        assumeBubblewrap();
        // Given the workspace holds data.txt
        List<FileChange> files = List.of(file("data.txt", "3\n4\n"), file("lib/keep.txt", "same"));

        // When Python reads it and writes a result file
        String code = """
                import os
                nums = [int(x) for x in open('data.txt')]
                os.makedirs('out')
                open('out/sum.txt', 'w').write(str(sum(nums)))
                print('sum', sum(nums))
                """;
        ToolOutput output =
                SandboxTool.python(bubblewrap).run(call("run_python", arguments("code", code), files), context());

        // Then the new file comes back and unchanged ones do not
        assertThat(output.getIsError()).isFalse();
        assertThat(output.getContent())
                .startsWith("exit code: 0\n--- stdout ---\nsum 7\n--- stderr ---\n")
                .contains("written out/sum.txt");
        assertThat(output.getFileChanges()).singleElement().satisfies(change -> {
            assertThat(change.getPath()).isEqualTo("out/sum.txt");
            assertThat(text(change)).isEqualTo("7");
        });
    }

    @Test
    void shouldReturnTheDeletionWhenBashDeletesAFile() {
        assumeBubblewrap();
        // Given two files
        List<FileChange> files = List.of(file("old.log", "x"), file("notes.md", "# notes"));

        // When bash deletes one and edits the other
        ToolOutput output = SandboxTool.bash(bubblewrap)
                .run(call("bash", "{\"command\": \"rm old.log && echo more >> notes.md && ls\"}", files), context());

        // Then the deletion (null content) and the change come back
        assertThat(output.getIsError()).isFalse();
        assertThat(output.getContent()).contains("notes.md").contains("deleted old.log");
        assertThat(output.getFileChanges()).hasSize(2);
        assertThat(output.getFileChanges().get(0).getPath()).isEqualTo("notes.md");
        assertThat(text(output.getFileChanges().get(0))).isEqualTo("# notesmore\n");
        assertThat(output.getFileChanges().get(1).getPath()).isEqualTo("old.log");
        assertThat(output.getFileChanges().get(1).getContent()).isNull();
    }

    @Test
    void shouldAnswerAnErrorResultWhenTheCodeFailsOrTimesOut() {
        assumeBubblewrap();
        ToolOutput failed = SandboxTool.bash(bubblewrap)
                .run(call("bash", "{\"command\": \"echo oops >&2; exit 3\"}", List.of()), context());
        ToolOutput slow = SandboxTool.bash(bubblewrap)
                .run(call("bash", "{\"command\": \"sleep 30\", \"timeout_seconds\": 1}", List.of()), context());

        assertThat(failed.getIsError()).isTrue();
        assertThat(failed.getContent()).isEqualTo("exit code: 3\n--- stdout ---\n--- stderr ---\noops\n");
        assertThat(slow.getIsError()).isTrue();
        assertThat(slow.getContent())
                .startsWith("exit code: none (stopped)\nlimit hit: wall_clock (stopped after 1000" + " ms)");
    }

    @Test
    void shouldAnswerAnErrorWithoutRunningWhenArgumentsAreWrong() {
        ToolOutput missing = SandboxTool.bash(bubblewrap).run(call("bash", "{\"cmd\": \"ls\"}", List.of()), context());
        ToolOutput badTimeout = SandboxTool.python(bubblewrap)
                .run(call("run_python", "{\"code\": \"1\", \"timeout_seconds\": 0}", List.of()), context());

        assertThat(missing.getIsError()).isTrue();
        assertThat(missing.getContent()).contains("does not take the argument(s) [cmd]");
        assertThat(badTimeout.getIsError()).isTrue();
        assertThat(badTimeout.getContent()).contains("timeout_seconds").contains("at least 1");
    }

    @Test
    void shouldRefuseToRunWhenBubblewrapIsMissing(@TempDir Path emptyDir) {
        // Given a host without bwrap
        try (BubblewrapSandbox missing =
                BubblewrapSandbox.create(SandboxLimits.defaults(), List.of(emptyDir.toString()))) {
            // When bash is called
            ToolOutput output = SandboxTool.bash(missing)
                    .run(call("bash", "{\"command\": \"touch /tmp/should-not-exist\"}", List.of()), context());

            // Then it answers an error and runs nothing, sandboxed or not
            assertThat(missing.unavailableReason())
                    .hasValueSatisfying(why -> assertThat(why).contains("bwrap"));
            assertThat(output.getIsError()).isTrue();
            assertThat(output.getContent())
                    .startsWith("bash: sandbox unavailable: bwrap (bubblewrap) is not" + " installed");
            assertThat(Path.of("/tmp/should-not-exist")).doesNotExist();
        }
    }

    @Test
    void shouldReturnPrintedOutputAndValueWhenJavascriptRuns() {
        try (GraalJsSandbox graalJs = GraalJsSandbox.create(SandboxLimits.defaults())) {
            ToolOutput output = SandboxTool.javascript(graalJs)
                    .run(
                            call(
                                    "run_javascript",
                                    "{\"code\": \"console.log('hi'); 6 * 7\"}",
                                    List.of(file("a.txt", "x"))),
                            context());

            assertThat(output.getIsError()).isFalse();
            assertThat(output.getContent())
                    .isEqualTo("exit code: 0\n--- value ---\n42\n--- stdout ---\nhi\n" + "--- stderr ---\n");
            assertThat(output.getFileChanges()).isEmpty();
        }
    }
}
