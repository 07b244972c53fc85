package io.agentlog.engine.session;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * The history as a model must see it. The history store is chronological, so a steer message that
 * arrived while tool calls were running sits between an assistant turn and its tool results;
 * chat-completion APIs reject that (tool results must follow the turn that asked for them). Here
 * such user messages move after the tool results of that turn. Nothing else changes order.
 */
final class ConversationOrder {

    private ConversationOrder() {}

    static List<Message> forModel(List<Message> history) {
        List<Message> out = new ArrayList<>(history.size());
        int i = 0;
        while (i < history.size()) {
            Message message = history.get(i++);
            out.add(message);
            if (message.getRole() != Role.ASSISTANT || message.getToolCalls().isEmpty()) {
                continue;
            }
            List<Message> deferred = new ArrayList<>();
            while (i < history.size()
                    && (history.get(i).getRole() == Role.TOOL || history.get(i).getRole() == Role.USER)) {
                Message next = history.get(i++);
                if (next.getRole() == Role.TOOL) {
                    out.add(next);
                } else {
                    deferred.add(next);
                }
            }
            out.addAll(deferred);
        }
        return out;
    }
}
