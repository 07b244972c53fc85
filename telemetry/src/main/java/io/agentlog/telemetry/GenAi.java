package io.agentlog.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import java.util.List;

/**
 * The attributes of OpenTelemetry's GenAI semantic conventions that agentlog's spans carry (semconv 1.37 and later,
 * where {@code gen_ai.provider.name} replaced {@code gen_ai.system}), and agentlog's own. Prompts, outputs and tool
 * arguments are never put in attributes: they may hold personal or secret data, and the journal already keeps them.
 */
public final class GenAi {

    public static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    public static final AttributeKey<String> PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
    public static final AttributeKey<String> AGENT_NAME = AttributeKey.stringKey("gen_ai.agent.name");
    public static final AttributeKey<String> AGENT_ID = AttributeKey.stringKey("gen_ai.agent.id");
    public static final AttributeKey<String> CONVERSATION_ID = AttributeKey.stringKey("gen_ai.conversation.id");
    public static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    public static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    public static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    public static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    public static final AttributeKey<List<String>> FINISH_REASONS =
            AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    public static final AttributeKey<String> TOOL_NAME = AttributeKey.stringKey("gen_ai.tool.name");
    public static final AttributeKey<String> TOOL_CALL_ID = AttributeKey.stringKey("gen_ai.tool.call.id");
    public static final AttributeKey<String> TOOL_TYPE = AttributeKey.stringKey("gen_ai.tool.type");
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    /** {@code gen_ai.operation.name} values. */
    public static final String CHAT = "chat";

    public static final String EXECUTE_TOOL = "execute_tool";
    public static final String INVOKE_AGENT = "invoke_agent";

    // agentlog's own
    public static final AttributeKey<String> WORK_ID = AttributeKey.stringKey("agentlog.work.id");
    public static final AttributeKey<String> POOL = AttributeKey.stringKey("agentlog.pool");
    public static final AttributeKey<Long> DELIVERY_COUNT = AttributeKey.longKey("agentlog.delivery.count");
    public static final AttributeKey<String> WORK_OUTCOME = AttributeKey.stringKey("agentlog.work.outcome");
    public static final AttributeKey<Long> CACHED_INPUT_TOKENS =
            AttributeKey.longKey("agentlog.usage.cached_input_tokens");
    public static final AttributeKey<Long> COST_MICROS = AttributeKey.longKey("agentlog.usage.cost_micros");
    public static final AttributeKey<String> STEP_ORIGIN = AttributeKey.stringKey("agentlog.step.origin");
    public static final AttributeKey<List<String>> STEP_EVENTS = AttributeKey.stringArrayKey("agentlog.step.events");
    public static final AttributeKey<String> SESSION_STATUS = AttributeKey.stringKey("agentlog.session.status");
    public static final AttributeKey<Long> STEP_SEQ = AttributeKey.longKey("agentlog.step.first_seq");
    public static final AttributeKey<String> PARENT_SESSION_ID = AttributeKey.stringKey("agentlog.session.parent_id");

    private GenAi() {}
}
