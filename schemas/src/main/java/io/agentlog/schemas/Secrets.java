package io.agentlog.schemas;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What a credential looks like in text, so that it can be refused where it must not be (an agent definition, which
 * everyone who may read {@code agentlog.agents} reads) and cut out of what is written where it should not be (error
 * texts on {@code agentlog.work.results}, {@code agentlog.results} and the DLQ).
 *
 * <p>Recognised: URLs with user information ({@code https://user:password@host/}), {@code Bearer}/{@code Basic}
 * authorization values, PEM private keys, and the API key shapes of well-known services ({@code sk-...},
 * {@code ghp_...}, {@code xoxb-...}, {@code AKIA...}, {@code AIza...}). This is a net for mistakes and leaks, not a
 * proof that a text holds no secret: a worker never puts its credentials into anything it writes in the first place.
 */
public final class Secrets {

    /** What replaces a secret in redacted text. */
    public static final String REDACTED = "[redacted]";

    /** {@code scheme://userinfo@}: group 1 is the scheme part, kept when redacting. */
    private static final Pattern URL_USERINFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]{0,31}://)[^/\\s@?#]+@");

    private static final Pattern AUTHORIZATION_VALUE =
            Pattern.compile("(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/-]{8,}=*");

    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----|[\\s\\S]*)");

    private static final List<Pattern> TOKENS = List.of(
            Pattern.compile("\\b(?:sk|rk)[-_][A-Za-z0-9_-]{12,}"), // OpenAI, Anthropic, Stripe secret keys
            Pattern.compile("\\bgh[pousr]_[A-Za-z0-9]{20,}"), // GitHub tokens
            Pattern.compile("\\bgithub_pat_[A-Za-z0-9_]{20,}"),
            Pattern.compile("\\bxox[abprs]-[A-Za-z0-9-]{10,}"), // Slack tokens
            Pattern.compile("\\bAKIA[0-9A-Z]{16}\\b"), // AWS access key ids
            Pattern.compile("\\bAIza[0-9A-Za-z_-]{30,}")); // Google API keys

    private Secrets() {}

    /** True if the text holds something shaped like a credential (see the class comment). */
    public static boolean looksLikeSecret(String text) {
        if (text == null || text.isEmpty()) {
            return false;
        }
        if (URL_USERINFO.matcher(text).find()
                || AUTHORIZATION_VALUE.matcher(text).find()
                || PRIVATE_KEY.matcher(text).find()) {
            return true;
        }
        return TOKENS.stream().anyMatch(p -> p.matcher(text).find());
    }

    /**
     * The text with every credential-shaped part replaced by {@value #REDACTED}; a URL keeps its scheme and host,
     * loses its user information ({@code https://[redacted]@host/v1}).
     */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = URL_USERINFO.matcher(text).replaceAll("$1" + REDACTED + "@");
        out = AUTHORIZATION_VALUE.matcher(out).replaceAll("$1 " + REDACTED);
        out = PRIVATE_KEY.matcher(out).replaceAll(REDACTED);
        for (Pattern token : TOKENS) {
            out = token.matcher(out).replaceAll(REDACTED);
        }
        return out;
    }

    /** The text with every occurrence of {@code secret} (a known credential, e.g. an API key) redacted as well. */
    public static String redact(String text, String secret) {
        String out = text;
        if (out != null && secret != null && !secret.isBlank()) {
            out = out.replace(secret, REDACTED);
        }
        return redact(out);
    }
}
