package io.agentlog.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {

    @Test
    void shouldRecognizeCredentialShapedTextWhenItHoldsKeysTokensOrUrlPasswords() {
        assertThat(Secrets.looksLikeSecret("sk-planted-0123456789abcdef")).isTrue();
        assertThat(Secrets.looksLikeSecret("use key sk-proj-AbCdEf0123456789xyz please"))
                .isTrue();
        assertThat(Secrets.looksLikeSecret("Bearer eyJhbGciOiJIUzI1NiJ9.payload"))
                .isTrue();
        assertThat(Secrets.looksLikeSecret("https://alice:hunter2@models.example/v1"))
                .isTrue();
        assertThat(Secrets.looksLikeSecret("ghp_0123456789abcdefghijABCDEFGHIJ"))
                .isTrue();
        assertThat(Secrets.looksLikeSecret("AKIAABCDEFGHIJKLMNOP")).isTrue();
        assertThat(Secrets.looksLikeSecret("-----BEGIN RSA PRIVATE KEY-----\nMIIE..."))
                .isTrue();

        assertThat(Secrets.looksLikeSecret("You are a careful risk-assessment assistant."))
                .isFalse();
        assertThat(Secrets.looksLikeSecret("https://models.example/v1")).isFalse();
        assertThat(Secrets.looksLikeSecret("gpt-4o-mini")).isFalse();
        assertThat(Secrets.looksLikeSecret("mail bob@example.com")).isFalse();
    }

    @Test
    void shouldKeepSchemeAndHostButCutCredentialsWhenRedacting() {
        assertThat(Secrets.redact("cannot reach https://alice:hunter2@models.example/v1: refused"))
                .isEqualTo("cannot reach https://[redacted]@models.example/v1: refused");
        assertThat(Secrets.redact("header was Authorization: Bearer abcdefgh12345678"))
                .isEqualTo("header was Authorization: Bearer [redacted]");
        assertThat(Secrets.redact("echo: sk-planted-0123456789abcdef!")).isEqualTo("echo: [redacted]!");
        assertThat(Secrets.redact("plain text stays")).isEqualTo("plain text stays");
        assertThat(Secrets.redact("the key was k3y-no-shape", "k3y-no-shape")).isEqualTo("the key was [redacted]");
    }

    @Test
    void shouldRefuseUrlsAndCredentialsButAcceptPlainOptionsWhenCheckingAModelSpec() {
        assertThat(ModelSpecRules.problems("", Map.of("reasoningEffort", "high", "seed", "7")))
                .isEmpty();
        assertThat(ModelSpecRules.problems("local-llm", Map.of())).isEmpty();

        assertThat(ModelSpecRules.problems("", Map.of("baseUrl", "http://evil.example/v1")))
                .singleElement()
                .asString()
                .contains("model.options.baseUrl is refused")
                .contains("model.endpoint");
        assertThat(ModelSpecRules.problems("", Map.of("apiKey", "x")))
                .singleElement()
                .asString()
                .contains("model.options.apiKey is refused: credentials");
        assertThat(ModelSpecRules.problems("", Map.of("extra_headers", "X-A: b")))
                .hasSize(1);
        assertThat(ModelSpecRules.problems("", Map.of("note", "sk-planted-0123456789abcdef")))
                .singleElement()
                .asString()
                .contains("looks like a credential")
                .doesNotContain("sk-planted");
        assertThat(ModelSpecRules.problems("", Map.of("target", "evil.example:8080")))
                .hasSize(1);
        assertThat(ModelSpecRules.problems("", Map.of("target", "see https://evil.example")))
                .hasSize(1);
        assertThat(ModelSpecRules.problems("http://evil.example/v1", Map.of()))
                .singleElement()
                .asString()
                .contains("model.endpoint 'http://evil.example/v1' is not an endpoint name")
                .contains("never a URL");
    }
}
