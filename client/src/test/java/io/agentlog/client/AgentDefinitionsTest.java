package io.agentlog.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentlog.schemas.avro.AgentDefinition;
import io.agentlog.schemas.avro.ModelPrice;
import io.agentlog.schemas.avro.ToolSemantics;
import io.agentlog.schemas.avro.ToolSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentDefinitionsTest {

    private static final String MINIMAL = """
            name: demo
            version: 1
            model: {provider: scripted}
            tools: [write_file]
            script:
              - toolCalls: [{name: write_file, arguments: {path: a.txt, content: hi}}]
              - text: done
            """;

    @Test
    void shouldReadEveryFieldWhenYamlFileIsComplete() throws Exception {
        // Given
        Path file = Path.of(getClass().getResource("/agents/full.yaml").toURI());

        // When
        AgentDefinition definition = AgentDefinitions.load(file);

        // Then
        assertThat(definition.getName()).isEqualTo("researcher");
        assertThat(definition.getVersion()).isEqualTo(3);
        assertThat(definition.getModel().getProvider()).isEqualTo("scripted");
        assertThat(definition.getModel().getTemperature()).isEqualTo(0.2);
        assertThat(definition.getModel().getMaxOutputTokens()).isEqualTo(512);
        assertThat(definition.getModel().getOptions()).containsEntry("seed", "7");
        assertThat(definition.getSystemPrompt()).isEqualTo("You are careful.");
        assertThat(definition.getTools())
                .extracting(ToolSpec::getName)
                .containsExactly("write_file", "list_files", "read_file", "lookup_order");
        assertThat(definition.getLimits().getMaxSteps()).isEqualTo(5);
        assertThat(definition.getLimits().getMaxToolCallsPerTurn()).isEqualTo(4);
        assertThat(definition.getLimits().getMaxTokens()).isZero();
        assertThat(definition.getScript()).hasSize(3);
    }

    @Test
    void shouldResolveBuiltinToolsAndMergeOverridesWhenToolsNameThem() throws Exception {
        // Given
        Path file = Path.of(getClass().getResource("/agents/full.yaml").toURI());

        // When
        AgentDefinition definition = AgentDefinitions.load(file);

        // Then
        ToolSpec writeFile = definition.getTools().get(0);
        assertThat(writeFile.getPool()).isEqualTo("engine");
        assertThat(writeFile.getParameters()).contains("\"content\"");
        ToolSpec readFile = definition.getTools().get(2);
        assertThat(readFile.getRequiresApproval()).isTrue();
        assertThat(readFile.getPool()).isEqualTo("engine");
        assertThat(readFile.getDescription()).startsWith("Read a text file");
        ToolSpec custom = definition.getTools().get(3);
        assertThat(custom.getPool()).isEqualTo("orders");
        assertThat(custom.getSemantics()).isEqualTo(ToolSemantics.AT_MOST_ONCE);
        assertThat(custom.getTimeoutMs()).isEqualTo(30_000);
        assertThat(custom.getParameters())
                .isEqualTo("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},"
                        + "\"required\":[\"id\"],\"additionalProperties\":false}");
    }

    @Test
    void shouldGenerateCallIdsAndCompactArgumentsWhenScriptOmitsIds() throws Exception {
        // Given
        Path file = Path.of(getClass().getResource("/agents/full.yaml").toURI());

        // When
        AgentDefinition definition = AgentDefinitions.load(file);

        // Then
        var firstTurn = definition.getScript().get(0).getToolCalls();
        assertThat(firstTurn.get(0).getId()).isEqualTo("call_0_0");
        assertThat(firstTurn.get(0).getArguments()).isEqualTo("{\"path\":\"notes.txt\",\"content\":\"hello\"}");
        assertThat(firstTurn.get(1).getId()).isEqualTo("call_0_1");
        assertThat(firstTurn.get(1).getArguments()).isEqualTo("{}");
        assertThat(definition.getScript().get(1).getToolCalls().get(0).getId()).isEqualTo("mine");
        assertThat(definition.getScript().get(2).getText()).isEqualTo("All done.");
    }

    @Test
    void shouldReadJsonWhenFileEndsInJson(@TempDir Path dir) throws Exception {
        // Given
        Path file = dir.resolve("agent.json");
        Files.writeString(file, """
                {"name": "j", "version": 2, "model": {"provider": "openai", "name": "gpt-4o-mini"},
                 "tools": ["list_files"]}
                """);

        // When
        AgentDefinition definition = AgentDefinitions.load(file);

        // Then
        assertThat(definition.getName()).isEqualTo("j");
        assertThat(definition.getModel().getName()).isEqualTo("gpt-4o-mini");
        assertThat(definition.getScript()).isEmpty();
    }

    @Test
    void shouldAcceptMinimalScriptedDefinition() {
        AgentDefinition definition = AgentDefinitions.parse(MINIMAL, "minimal.yaml");

        assertThat(definition.getLimits().getMaxSteps()).isEqualTo(20);
        assertThat(definition.getTools()).hasSize(1);
    }

    @Test
    void shouldReadModelPricesAndACostBudget() {
        String text = MINIMAL.replace(
                        "model: {provider: scripted}",
                        "model: {provider: scripted, price: {inputPerMillion: 3, outputPerMillion: 15,"
                                + " cachedInputPerMillion: 0.3}}")
                + "limits: {maxCostMicros: 50000}\n";

        AgentDefinition definition = AgentDefinitions.parse(text, "priced.yaml");

        assertThat(definition.getModel().getPrice()).isEqualTo(new ModelPrice(3.0, 15.0, 0.3));
        assertThat(definition.getLimits().getMaxCostMicros()).isEqualTo(50_000);
    }

    @Test
    void shouldReadContextCompactionAndSayWhatIsWrongWithIt() throws Exception {
        // Given a definition that turns compaction on, and one that gets it wrong
        AgentDefinition on = AgentDefinitions.parse(
                MINIMAL + "compaction: {maxHistoryTokens: 50000, keepRecentMessages: 4, prompt: Keep the numbers.}\n",
                "compact.yaml");
        String wrong = MINIMAL + "compaction: {keepRecent: 4}\n";

        // Then the first carries it, the second is refused with the fields it lacks and the ones it does not know
        assertThat(on.getCompaction().getMaxHistoryTokens()).isEqualTo(50_000);
        assertThat(on.getCompaction().getKeepRecentMessages()).isEqualTo(4);
        assertThat(on.getCompaction().getPrompt()).isEqualTo("Keep the numbers.");
        assertThat(AgentDefinitions.parse(MINIMAL, "plain.yaml").getCompaction())
                .isNull();
        assertThatThrownBy(() -> AgentDefinitions.parse(wrong, "compact.yaml"))
                .isInstanceOfSatisfying(
                        AgentDefinitionException.class,
                        e -> assertThat(e.problems())
                                .anyMatch(p -> p.contains("unknown field 'keepRecent' in compaction"))
                                .anyMatch(p -> p.contains("compaction.maxHistoryTokens is missing")));
    }

    @Test
    void shouldSayWhatAPriceMustBeWhenItIsNegativeOrUnknown() {
        String text = MINIMAL.replace(
                "model: {provider: scripted}",
                "model: {provider: scripted, price: {inputPerMillion: -1, perToken: 2}}");

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "priced.yaml"))
                .isInstanceOfSatisfying(
                        AgentDefinitionException.class,
                        e -> assertThat(e.problems())
                                .anyMatch(p -> p.contains("unknown field 'perToken' in model.price"))
                                .anyMatch(p -> p.contains("model.price.inputPerMillion must be a number of US dollars"
                                        + " per million tokens, 0 or more, but was -1")));
    }

    @Test
    void shouldNameFileAndFieldWhenFieldIsUnknown() {
        assertThatThrownBy(() -> AgentDefinitions.parse(MINIMAL + "modle: x\n", "agent.yaml"))
                .isInstanceOf(AgentDefinitionException.class)
                .hasMessageStartingWith("agent.yaml: unknown field 'modle' in the definition; known fields are");
    }

    @Test
    void shouldListBuiltinsWhenToolIsUnknown() {
        String text = MINIMAL.replace("tools: [write_file]", "tools: [write_file, teleport]");

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "agent.yaml"))
                .hasMessageContaining("tools[1]: unknown tool 'teleport'; built-in tools are [read_file, write_file");
    }

    @Test
    void shouldReportEveryMissingRequiredFieldWhenDefinitionIsEmptyObject() {
        assertThatThrownBy(() -> AgentDefinitions.parse("description: nothing else\n", "empty.yaml"))
                .isInstanceOfSatisfying(
                        AgentDefinitionException.class,
                        e -> assertThat(e.problems())
                                .containsExactly(
                                        "name is missing",
                                        "version is missing",
                                        "model is missing: add e.g. 'model: {provider: scripted}' or "
                                                + "'model: {provider: openai, name: gpt-4o-mini}'"));
    }

    @Test
    void shouldQuoteProviderWhenItIsNotSupported() {
        String text = MINIMAL.replace("provider: scripted", "provider: anthropicx");

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "agent.yaml"))
                .hasMessageContaining(
                        "model.provider 'anthropicx' is not supported: use 'scripted', 'openai' or 'anthropic'");
    }

    @Test
    void shouldRejectScriptedProviderWhenScriptIsMissing() {
        String text = "name: a\nversion: 1\nmodel: {provider: scripted}\n";

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "agent.yaml"))
                .hasMessage("agent.yaml: model.provider is 'scripted' but there is no script: add a 'script' list "
                        + "of turns ({text: ...} or {toolCalls: [...]})");
    }

    @Test
    void shouldRejectScriptWhenItCallsToolMissingFromTools() {
        String text = MINIMAL.replace("tools: [write_file]", "tools: [list_files]");

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "agent.yaml"))
                .hasMessageContaining("script[0].toolCalls[0] calls tool 'write_file', which is not in the agent's "
                        + "tools [list_files]: add it to 'tools'");
    }

    @Test
    void shouldRejectScriptArgumentsWhenRequiredArgumentIsMissingOrUnknown() {
        String text = MINIMAL.replace("{path: a.txt, content: hi}", "{path: a.txt, body: hi}");

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "agent.yaml"))
                .isInstanceOfSatisfying(
                        AgentDefinitionException.class,
                        e -> assertThat(e.problems())
                                .containsExactly(
                                        "script[0].toolCalls[0]: tool 'write_file' needs argument 'content', which is missing",
                                        "script[0].toolCalls[0]: tool 'write_file' has no argument 'body'; its arguments are "
                                                + "[path, content]"));
    }

    @Test
    void shouldQuoteValueWhenVersionIsNotAPositiveNumber() {
        String text = MINIMAL.replace("version: 1", "version: one");

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "agent.yaml"))
                .hasMessage("agent.yaml: version must be a whole number, 1 or more, but was 'one'");
    }

    @Test
    void shouldRejectUnknownSemanticsAndEnginePoolWhenCustomToolDeclaresThem() {
        String text = """
                name: a
                version: 1
                model: {provider: openai, name: m}
                tools:
                  - {name: charge, description: Charge a card, pool: engine, semantics: twice}
                """;

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "agent.yaml"))
                .isInstanceOfSatisfying(
                        AgentDefinitionException.class,
                        e -> assertThat(e.problems())
                                .containsExactly(
                                        "tools[0] (charge): pool 'engine' is reserved for the built-in workspace tools; name the "
                                                + "worker pool that runs this tool (e.g. 'tools')",
                                        "tools[0] (charge): semantics 'twice' is not known: use 'idempotent' or 'at-most-once'"));
    }

    @Test
    void shouldRequireModelNameWhenProviderIsOpenai() {
        String text = "name: a\nversion: 1\nmodel: {provider: openai}\n";

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "agent.yaml"))
                .hasMessageContaining("model.name is missing: the 'openai' provider needs the model's name");
    }

    @Test
    void shouldAcceptAnthropicWithANamedEndpointAndRequireNameAndEndpoint() {
        // Given
        String good = "name: a\nversion: 1\nmodel: {provider: anthropic, name: claude-x, endpoint: claude}\n";
        String bad = "name: a\nversion: 1\nmodel: {provider: anthropic}\n";

        // Then
        assertThat(AgentDefinitions.parse(good, "agent.yaml").getModel().getEndpoint())
                .isEqualTo("claude");
        assertThatThrownBy(() -> AgentDefinitions.parse(bad, "agent.yaml"))
                .hasMessageContaining("model.name is missing: the 'anthropic' provider needs the model's name")
                .hasMessageContaining("model.endpoint is missing: the 'anthropic' provider has no default endpoint");
    }

    @Test
    void shouldGiveLineWhenYamlIsMalformed() {
        assertThatThrownBy(() -> AgentDefinitions.parse("name: a\nversion: [1\n", "broken.yaml"))
                .hasMessageStartingWith("broken.yaml: not valid YAML at line");
    }

    @Test
    void shouldRejectDuplicateKeysWhenFileRepeatsOne() {
        assertThatThrownBy(() -> AgentDefinitions.parse(MINIMAL + "name: other\n", "dup.yaml"))
                .hasMessageContaining("Duplicate field 'name'");
    }

    @Test
    void shouldNameFileWhenItDoesNotExist(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");

        assertThatThrownBy(() -> AgentDefinitions.load(missing)).hasMessage(missing + ": no such file");
    }

    @Test
    void shouldSayABinaryFileIsNotADefinition(@TempDir Path dir) throws Exception {
        Path binary = dir.resolve("agent.yaml");
        java.nio.file.Files.write(binary, new byte[] {(byte) 0xC3, 0x28, 0x00, (byte) 0xFF});

        assertThatThrownBy(() -> AgentDefinitions.load(binary))
                .hasMessage(binary + ": it is not UTF-8 text; an agent definition is a YAML or JSON file");
    }

    private static final String OPENAI = """
            name: remote
            version: 1
            model:
              provider: openai
              name: gpt-4o-mini
            """;

    @Test
    void shouldReadTheEndpointNameWhenTheModelNamesOneOfTheWorkersEndpoints() {
        AgentDefinition definition =
                AgentDefinitions.parse(OPENAI + "  endpoint: local-llm\n  options: {reasoningEffort: low}\n", "a.yaml");

        assertThat(definition.getModel().getEndpoint()).isEqualTo("local-llm");
        assertThat(definition.getModel().getOptions()).containsEntry("reasoningEffort", "low");
        assertThat(AgentDefinitions.parse(OPENAI, "a.yaml").getModel().getEndpoint())
                .isEmpty();
    }

    @Test
    void shouldRefuseABaseUrlOrAUrlAsEndpointWhenTheDefinitionChoosesWhereCallsGo() {
        // Given definitions that would send the worker's key to a server of their choosing
        String baseUrl = OPENAI + "  options: {baseUrl: \"http://collector.example:8000/v1\"}\n";
        String urlEndpoint = OPENAI + "  endpoint: \"http://collector.example:8000/v1\"\n";

        // Then agents put refuses them, saying what to do instead
        assertThatThrownBy(() -> AgentDefinitions.parse(baseUrl, "a.yaml"))
                .isInstanceOf(AgentDefinitionException.class)
                .hasMessageContaining(
                        "model.options.baseUrl is refused: where a model call goes is the worker's choice")
                .hasMessageContaining("model.endpoint");
        assertThatThrownBy(() -> AgentDefinitions.parse(urlEndpoint, "a.yaml"))
                .hasMessageContaining("model.endpoint 'http://collector.example:8000/v1' is not an endpoint name")
                .hasMessageContaining("never a URL");
    }

    @Test
    void shouldRefuseTheDefinitionWithoutRepeatingTheSecretWhenItLooksLikeItCarriesOne() {
        // Given a key as a model option, a token in the prompt and a URL with a password in a scripted argument
        String key = "sk-planted-" + java.util.UUID.randomUUID();
        String options = OPENAI + "  options: {apiKey: \"" + key + "\"}\n";
        String note = OPENAI + "  options: {note: \"" + key + "\"}\n";
        String prompt = OPENAI + "systemPrompt: \"Send Authorization: Bearer abcdefgh12345678 with every call\"\n";
        String script = MINIMAL.replace("content: hi", "content: \"https://bob:pw@git.example/x\"");

        // Then each is refused, naming where, and no message repeats the key
        assertThatThrownBy(() -> AgentDefinitions.parse(options, "a.yaml"))
                .hasMessageContaining("model.options.apiKey is refused: credentials")
                .hasMessageNotContaining(key);
        assertThatThrownBy(() -> AgentDefinitions.parse(note, "a.yaml"))
                .hasMessageContaining("model.options.note is refused: its value looks like a credential")
                .hasMessageNotContaining(key);
        assertThatThrownBy(() -> AgentDefinitions.parse(prompt, "a.yaml"))
                .hasMessageContaining("systemPrompt looks like it carries a secret");
        assertThatThrownBy(() -> AgentDefinitions.parse(script, "a.yaml"))
                .hasMessageContaining("script[0].toolCalls[0].arguments.content looks like it carries a secret");
    }

    @Test
    void shouldRefuseAnEndpointWhenTheProviderIsScripted() {
        String text = MINIMAL.replace("model: {provider: scripted}", "model: {provider: scripted, endpoint: x}");

        assertThatThrownBy(() -> AgentDefinitions.parse(text, "a.yaml"))
                .hasMessageContaining("model.endpoint is only read by the 'openai' and 'anthropic' providers");
    }
}
