package io.agentlog.local;

/** The processes of the local stack, in start order. */
public enum Component {
    BROKER("broker"),
    ENGINE("engine"),
    WORKER("worker");

    private final String id;

    Component(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
