package io.agentlog.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.schemas.avro.FileChange;
import io.agentlog.worker.sandbox.BubblewrapSandbox;
import io.agentlog.worker.sandbox.CodeSandbox;
import io.agentlog.worker.sandbox.GraalJsSandbox;
import io.agentlog.worker.sandbox.Language;
import io.agentlog.worker.sandbox.SandboxLimits;
import io.agentlog.worker.sandbox.SandboxResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "sandbox",
        mixinStandardHelpOptions = true,
        versionProvider = AgentlogCli.Version.class,
        description = "The code sandbox of the worker's 'sandbox' pool (see docs/sandbox.md).",
        subcommands = {SandboxCommand.Exec.class})
final class SandboxCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "say what to do: exec");
    }

    @Command(
            name = "exec",
            mixinStandardHelpOptions = true,
            versionProvider = AgentlogCli.Version.class,
            description = {
                "Runs one script in exactly the sandbox a worker uses (bash and python in bubblewrap, javascript in"
                        + " GraalJS; node in bubblewrap too) and prints one JSON object: exitCode, stdout, stderr,"
                        + " value (javascript), changedFiles (path, size, deleted), durationMs, cpuMs and maxRssKiB"
                        + " (bubblewrap), limitHit (null or which limit), memoryLimit (cgroup_v1, cgroup_v2, jvm_heap,"
                        + " or per_process where this host gives the sandbox no memory cgroup) and tier.",
                "",
                "Limits come from the AGENTLOG_SANDBOX_* variables, as for the worker. Exits 0 when the script ran"
                        + " (whatever its own exit code), 1 when the sandbox is unavailable here."
            })
    static final class Exec implements Callable<Integer> {

        private static final ObjectMapper JSON = new ObjectMapper();

        @Spec
        CommandSpec spec;

        @Option(
                names = "--lang",
                required = true,
                paramLabel = "LANG",
                description = "bash, python, javascript or node.")
        String language;

        @Option(
                names = "--file",
                paramLabel = "PATH=LOCALFILE",
                description = "Put LOCALFILE into the workspace at PATH (relative); repeatable.")
        List<String> files = new ArrayList<>();

        @Option(
                names = "--timeout",
                paramLabel = "SECONDS",
                description = "Wall-clock limit of this run (at most AGENTLOG_SANDBOX_WALL_CLOCK_SECONDS).")
        Integer timeoutSeconds;

        @Parameters(index = "0", paramLabel = "FILE", description = "The script to run.")
        Path script;

        @Override
        public Integer call() throws IOException {
            Language lang = Language.of(language);
            SandboxLimits limits = SandboxLimits.fromEnv(System.getenv());
            if (timeoutSeconds != null && timeoutSeconds < 1) {
                throw new IllegalArgumentException("--timeout must be at least 1 second, but was " + timeoutSeconds);
            }
            String code = read(script, "the script");
            List<FileChange> workspace = workspaceFiles();
            Duration timeout = timeoutSeconds == null ? limits.wallClock() : Duration.ofSeconds(timeoutSeconds);
            try (BubblewrapSandbox bubblewrap = BubblewrapSandbox.create(limits);
                    CodeSandbox sandbox =
                            lang == Language.JAVASCRIPT ? GraalJsSandbox.create(limits, bubblewrap) : bubblewrap) {
                var unavailable = sandbox.unavailableReason();
                if (unavailable.isPresent()) {
                    spec.commandLine().getErr().println("agentlog: sandbox unavailable: " + unavailable.get());
                    return 1;
                }
                SandboxResult result = sandbox.run(lang, code, workspace, timeout);
                spec.commandLine()
                        .getOut()
                        .println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(result)));
                return 0;
            }
        }

        private List<FileChange> workspaceFiles() throws IOException {
            Map<String, FileChange> byPath = new LinkedHashMap<>();
            for (String entry : files) {
                int eq = entry.indexOf('=');
                if (eq <= 0 || eq == entry.length() - 1) {
                    throw new IllegalArgumentException(
                            "--file must be PATH=LOCALFILE, e.g. --file data/in.csv=./in.csv, but was '" + entry + "'");
                }
                String path = entry.substring(0, eq);
                byte[] content = Files.readAllBytes(Path.of(entry.substring(eq + 1)));
                byPath.put(path, new FileChange(path, ByteBuffer.wrap(content)));
            }
            return List.copyOf(byPath.values());
        }

        private static String read(Path file, String what) throws IOException {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(what + " '" + file + "' does not exist");
            }
        }

        static ObjectNode toJson(SandboxResult result) {
            ObjectNode json = JSON.createObjectNode();
            json.put("tier", result.tier());
            json.put("exitCode", result.exitCode());
            json.put("stdout", result.stdout());
            json.put("stderr", result.stderr());
            result.value().ifPresentOrElse(v -> json.put("value", v), () -> json.putNull("value"));
            ArrayNode changed = json.putArray("changedFiles");
            for (FileChange change : result.fileChanges()) {
                ObjectNode file = changed.addObject();
                file.put("path", change.getPath());
                file.put("deleted", change.getContent() == null);
                file.put(
                        "size",
                        change.getContent() == null ? 0 : change.getContent().remaining());
            }
            json.put("durationMs", result.durationMs());
            if (result.cpuMs().isPresent()) {
                json.put("cpuMs", result.cpuMs().getAsLong());
            } else {
                json.putNull("cpuMs");
            }
            if (result.maxRssKiB().isPresent()) {
                json.put("maxRssKiB", result.maxRssKiB().getAsLong());
            } else {
                json.putNull("maxRssKiB");
            }
            result.limitHit().ifPresentOrElse(l -> json.put("limitHit", l), () -> json.putNull("limitHit"));
            json.put("memoryLimit", result.memoryLimit().label());
            return json;
        }
    }
}
