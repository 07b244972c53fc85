package io.agentlog.worker.model;

/** Values of {@code ModelReply.finishReason}, in the OpenAI chat-completions vocabulary. */
public final class FinishReasons {

    public static final String STOP = "stop";
    public static final String TOOL_CALLS = "tool_calls";
    public static final String LENGTH = "length";
    public static final String CONTENT_FILTER = "content_filter";
    public static final String OTHER = "other";

    private FinishReasons() {}
}
