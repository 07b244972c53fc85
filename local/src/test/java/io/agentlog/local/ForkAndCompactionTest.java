package io.agentlog.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentlog.cli.CliRun;
import io.agentlog.client.AgentDefinitions;
import io.agentlog.client.AgentlogClient;
import io.agentlog.schemas.avro.FileWritten;
import io.agentlog.schemas.avro.HistoryCompacted;
import io.agentlog.schemas.avro.ModelRequested;
import io.agentlog.schemas.avro.ModelResponded;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionForked;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.testkit.ChatCompletionsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fork and context compaction end to end on a real broker, with a model behind a local OpenAI-compatible server
 * whose requests are the ledger of every model call made. The "model" is deterministic: it writes files
 * {@code f0.txt}..{@code f3.txt}, one a turn, counting those it sees in the conversation, then answers with the vault
 * code it finds there; asked for a summary, it keeps the lines that name a code, and the files written. So the answer is right
 * after a compaction only if the summary carried the code, and a fork's requests show which turns it took.
 */
class ForkAndCompactionTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FILE = Pattern.compile("f(\\d)\\.txt");
    private static final Pattern CODE = Pattern.compile("code is (\\d+)");
    private static final int FILES = 4;

    private static final List<JsonNode> ledger = new CopyOnWriteArrayList<>();
    private static ChatCompletionsServer model;
    private static InProcessStack stack;
    private static AgentlogClient client;

    @BeforeAll
    static void startStack() throws Exception {
        model = ChatCompletionsServer.start(ForkAndCompactionTest::answer);
        stack = InProcessStack.start("forks", DEADLINE, InProcessStack.withModelEndpoint(model, "test-key"));
        client = stack.client;
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    void shouldKeepALongSessionsAnswerRightAfterItsHistoryIsCompacted() throws Exception {
        // Given an agent whose history passes its compaction threshold after a few turns
        String agent = register("compacting", "compaction: {maxHistoryTokens: 600, keepRecentMessages: 2}");
        String token = UUID.randomUUID().toString();

        // When a task that states the code first runs to its end
        SessionResult result = client.submitAndWait(
                AgentlogClient.task(agent, "The vault code is 4711. Write the files, then tell me the code. " + token)
                        .build(),
                DEADLINE);

        // Then the answer is right, the older history went to a summary, and the last turn no longer sent it
        assertThat(result.getStatus()).as("result %s", result).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("The code is 4711.");
        List<SessionEvent> journal = client.journal(result.getSessionId());
        assertThat(journal).extracting(SessionEvent::getEvent).hasAtLeastOneElementOfType(HistoryCompacted.class);
        List<JsonNode> turns =
                requests(token).stream().filter(r -> !isSummaryRequest(r)).toList();
        assertThat(turns).hasSize(FILES + 1);
        String last = turns.getLast().path("messages").toString();
        assertThat(last).contains("[Summary of the earlier conversation");
        assertThat(last.split("x".repeat(800), -1))
                .as("file contents the last turn sent (all %d without compaction)", FILES)
                .hasSize(2 + 1);
    }

    @Test
    void shouldForkASessionWithoutRepeatingAnyModelCallBeforeTheFork() throws Exception {
        // Given a session that wrote four files in four turns and answered (five model calls)
        String agent = register("forkable", "");
        String token = UUID.randomUUID().toString();
        SessionResult source = client.submitAndWait(
                AgentlogClient.task(agent, "The code is 1234. Write the files, then tell me the code. " + token)
                        .build(),
                DEADLINE);
        assertThat(source.getStatus()).as("source %s", source).isEqualTo(ResultStatus.COMPLETED);
        assertThat(requests(token)).hasSize(FILES + 1);
        long atSeq = client.journal(source.getSessionId()).stream()
                .filter(e -> e.getEvent() instanceof ModelResponded r && r.getTurn() == 1)
                .findFirst()
                .orElseThrow()
                .getSeq();

        // When it is forked with the CLI at its second model answer (the write of f1 it asked for is cut off)
        CliRun fork = CliRun.onSharedBroker(
                "fork", source.getSessionId(), "--at", Long.toString(atSeq), "--message", "Go on.");

        // Then the fork's id is printed, and the fork goes on from there to the same answer
        assertThat(fork.exitCode()).as("fork %s", fork).isZero();
        String forked = fork.out().strip();
        SessionResult result = client.awaitResult(forked, DEADLINE);
        assertThat(result.getStatus()).as("fork %s", result).isEqualTo(ResultStatus.COMPLETED);
        assertThat(result.getOutput()).isEqualTo("The code is 1234.");

        // And the ledger shows three more model calls, each past turn 1: none before the fork was made again
        List<JsonNode> all = requests(token);
        assertThat(all).hasSize(FILES + 1 + 3);
        assertThat(all.subList(FILES + 1, all.size()))
                .allSatisfy(r ->
                        assertThat(filesSeen(r)).as("files the request shows").isGreaterThanOrEqualTo(2))
                .allSatisfy(r -> assertThat(r.path("messages").toString()).contains("Go on."));
        List<SessionEvent> journal = client.journal(forked);
        int forkedAt = indexOf(journal, SessionForked.class);
        assertThat(journal.subList(forkedAt, journal.size()))
                .extracting(SessionEvent::getEvent)
                .filteredOn(ModelRequested.class::isInstance)
                .hasSize(3);
        // and the workspace holds all four files
        assertThat(journal)
                .extracting(SessionEvent::getEvent)
                .filteredOn(FileWritten.class::isInstance)
                .extracting(e -> ((FileWritten) e).getPath())
                .contains("f0.txt", "f1.txt", "f2.txt", "f3.txt");
    }

    // ---- the model ----

    private static String answer(String body) {
        JsonNode request = read(body);
        ledger.add(request);
        JsonNode messages = request.path("messages");
        if (isSummaryRequest(request)) {
            StringBuilder summary = new StringBuilder("Summary:");
            messages.get(messages.size() - 1).path("content").asText().lines().forEach(line -> {
                if (CODE.matcher(line).find()) {
                    summary.append("\n- ").append(line);
                }
                Matcher file = FILE.matcher(line);
                while (file.find()) {
                    summary.append("\n- wrote f").append(file.group(1)).append(".txt");
                }
            });
            return reply(summary.toString(), null);
        }
        int seen = filesSeen(request);
        if (seen < FILES) {
            ObjectNode arguments =
                    JSON.createObjectNode().put("path", "f" + seen + ".txt").put("content", "x".repeat(800));
            return reply(null, arguments);
        }
        Matcher code = CODE.matcher(messages.toString());
        return reply(code.find() ? "The code is " + code.group(1) + "." : "I do not know the code.", null);
    }

    private static String reply(String text, ObjectNode writeArguments) {
        ObjectNode message = JSON.createObjectNode().put("role", "assistant");
        if (writeArguments == null) {
            message.put("content", text);
        } else {
            message.putNull("content");
            ArrayNode calls = message.putArray("tool_calls");
            calls.addObject()
                    .put("id", "call_" + UUID.randomUUID().toString().substring(0, 8))
                    .put("type", "function")
                    .putObject("function")
                    .put("name", "write_file")
                    .put("arguments", writeArguments.toString());
        }
        ObjectNode response = JSON.createObjectNode()
                .put("id", "chatcmpl-1")
                .put("object", "chat.completion")
                .put("created", 1)
                .put("model", "test-model");
        ObjectNode choice = response.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", writeArguments == null ? "stop" : "tool_calls");
        response.putObject("usage")
                .put("prompt_tokens", 10)
                .put("completion_tokens", 5)
                .put("total_tokens", 15);
        return response.toString();
    }

    private static boolean isSummaryRequest(JsonNode request) {
        return request.path("messages").path(0).path("content").asText().startsWith("You are summarizing");
    }

    /** The distinct files the conversation shows written (in calls, results or a summary). */
    private static int filesSeen(JsonNode request) {
        TreeSet<String> files = new TreeSet<>();
        Matcher file = FILE.matcher(request.path("messages").toString());
        while (file.find()) {
            files.add(file.group(1));
        }
        return files.size();
    }

    // ---- helpers ----

    private static String register(String prefix, String extra) {
        String name = prefix + "-" + UUID.randomUUID();
        client.putAgent(AgentDefinitions.parse("""
                name: %s
                version: 1
                model: {provider: openai, name: test-model, endpoint: %s}
                systemPrompt: You write files.
                tools: [write_file]
                %s
                """.formatted(name, InProcessStack.MODEL_ENDPOINT, extra), "test"));
        return name;
    }

    /** The model calls of one session (and its forks), told apart by the token in its task. */
    private static List<JsonNode> requests(String token) {
        return ledger.stream()
                .filter(r -> r.path("messages").toString().contains(token))
                .toList();
    }

    private static int indexOf(List<SessionEvent> journal, Class<?> type) {
        for (int i = 0; i < journal.size(); i++) {
            if (type.isInstance(journal.get(i).getEvent())) {
                return i;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + journal);
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
