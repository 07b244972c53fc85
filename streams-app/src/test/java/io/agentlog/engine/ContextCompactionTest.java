package io.agentlog.engine;

import static io.agentlog.engine.EngineDriver.agent;
import static io.agentlog.engine.EngineDriver.call;
import static io.agentlog.engine.EngineDriver.modelReply;
import static io.agentlog.engine.EngineDriver.task;
import static io.agentlog.engine.EngineDriver.toolResult;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentlog.engine.session.SessionFold;
import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.Compaction;
import io.agentlog.schemas.avro.HistoryCompacted;
import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.ModelCall;
import io.agentlog.schemas.avro.ResultStatus;
import io.agentlog.schemas.avro.Role;
import io.agentlog.schemas.avro.SessionEvent;
import io.agentlog.schemas.avro.SessionResult;
import io.agentlog.schemas.avro.SessionState;
import io.agentlog.schemas.avro.WorkOutcome;
import io.agentlog.schemas.avro.WorkRequest;
import io.agentlog.schemas.avro.WorkResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Context compaction: past the definition's threshold the engine asks the model for a summary of the older history
 * first, and later turns send the summary plus the recent messages; the journal and the history keep everything.
 */
class ContextCompactionTest {

    private static final String FACT = "The vault code is 4711.";

    private EngineDriver engine;
    private final List<SessionEvent> journal = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        engine = new EngineDriver();
        AgentDefinition base = agent("long", List.of("noop"));
        engine.register(AgentDefinition.newBuilder(base)
                .setCompaction(Compaction.newBuilder()
                        .setMaxHistoryTokens(150) // about 600 characters
                        .setKeepRecentMessages(2)
                        .build())
                .build());
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void shouldSummarizeOlderHistoryAndSendTheSummaryWithTheRecentMessages() {
        // Given a session whose turns each call a tool with a long result
        engine.tasks.pipeInput("s1", task("s1", "long", FACT + " Look around, then tell me the code."));
        WorkRequest turn = engine.nextModelCall();
        assertThat(engine.modelCall(turn).getCompaction()).isFalse();
        engine.workResults.pipeInput("s1", modelReply(turn, "looking", call("c1", "noop", "{}")));
        engine.workResults.pipeInput("s1", toolResult(engine.toolWork.readValue(), "a".repeat(300)));
        turn = engine.nextModelCall();
        assertThat(engine.modelCall(turn).getCompaction()).isFalse();
        engine.workResults.pipeInput("s1", modelReply(turn, "more", call("c2", "noop", "{}")));

        // When the second result takes the conversation past the threshold
        engine.workResults.pipeInput("s1", toolResult(engine.toolWork.readValue(), "b".repeat(300)));

        // Then the engine asks for a summary of the older messages first (no tools, not a turn of the agent)
        WorkRequest summaryCall = engine.nextModelCall();
        ModelCall summary = engine.modelCall(summaryCall);
        assertThat(summary.getCompaction()).isTrue();
        assertThat(summary.getTools()).isEmpty();
        assertThat(summary.getMessages().getLast().getContent()).contains(FACT).contains("a".repeat(300));
        assertThat(summary.getMessages().getLast().getContent()).doesNotContain("b".repeat(300));
        assertThat(state("s1").getSteps()).isEqualTo(2);

        // When the summary comes back
        engine.workResults.pipeInput("s1", modelReply(summaryCall, "User wants the vault code, 4711."));

        // Then the next turn sends the system prompt, the summary and the recent messages, not the old ones
        WorkRequest next = engine.nextModelCall();
        List<Message> sent = engine.modelCall(next).getMessages();
        assertThat(engine.modelCall(next).getCompaction()).isFalse();
        assertThat(engine.modelCall(next).getTurn()).isEqualTo(2);
        assertThat(sent.getFirst().getRole()).isEqualTo(Role.SYSTEM);
        assertThat(sent.get(1).getContent()).contains("User wants the vault code, 4711.");
        assertThat(sent).noneMatch(m -> m.getContent().contains(FACT));
        assertThat(sent).noneMatch(m -> m.getContent().contains("a".repeat(300)));
        assertThat(sent)
                .extracting(Message::getRole)
                .containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.TOOL); // a result stays with its call
        // the history keeps every message and the journal says what happened, usage included
        assertThat(historySize("s1")).isEqualTo(6);
        assertThat(events())
                .extracting(SessionEvent::getEvent)
                .filteredOn(HistoryCompacted.class::isInstance)
                .singleElement()
                .satisfies(e -> assertThat(((HistoryCompacted) e).getThrough()).isEqualTo(3));
        assertThat(state("s1").getUsage().getInputTokens()).isEqualTo(30); // three calls of 10 tokens each
        assertStoresAreTheFold("s1");

        // When the agent answers, the session completes
        engine.workResults.pipeInput("s1", modelReply(next, "The code is 4711."));
        assertThat(engine.results.readValue().getOutput()).isEqualTo("The code is 4711.");
    }

    @Test
    void shouldEndTheSessionFailedWhenTheSummaryCallFails() {
        // Given a session past the threshold from its first message
        engine.tasks.pipeInput("s2", task("s2", "long", "x".repeat(700)));
        engine.workResults.pipeInput("s2", modelReply(engine.nextModelCall(), "ok", call("c1", "noop", "{}")));
        engine.workResults.pipeInput("s2", toolResult(engine.toolWork.readValue(), "y"));
        WorkRequest summaryCall = engine.nextModelCall();
        assertThat(engine.modelCall(summaryCall).getCompaction()).isTrue();

        // When the model fails it
        engine.workResults.pipeInput(
                "s2",
                WorkResult.newBuilder(modelReply(summaryCall, ""))
                        .setOutcome(WorkOutcome.ERROR)
                        .setError("HTTP 400: context too long")
                        .build());

        // Then the session ends FAILED and says it was the compaction
        SessionResult result = engine.results.readValue();
        assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
        assertThat(result.getError()).contains("context compaction").contains("HTTP 400");
    }

    private SessionState state(String session) {
        KeyValueStore<String, SessionState> store = engine.driver.getKeyValueStore(EngineTopology.SESSIONS_STORE);
        return store.get(session);
    }

    private long historySize(String session) {
        return state(session).getHistorySize();
    }

    private List<SessionEvent> events() {
        journal.addAll(engine.allEvents());
        return journal;
    }

    private void assertStoresAreTheFold(String session) {
        var folded = SessionFold.replay(session, events(), (s, hash) -> Optional.empty());
        assertThat(StoreSnapshot.of(engine.driver, session)).isEqualTo(StoreSnapshot.of(folded, engine.config));
    }
}
