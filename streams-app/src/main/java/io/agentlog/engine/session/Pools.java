package io.agentlog.engine.session;

/** The worker pools that have a work topic, and how large a record each work topic accepts. */
public interface Pools {

    boolean exists(String pool);

    /** The work topic's {@code max.message.bytes} (at most the engine's own limit for work records). */
    int maxRecordBytes(String pool);
}
