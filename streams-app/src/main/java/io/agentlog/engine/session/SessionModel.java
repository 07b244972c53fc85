package io.agentlog.engine.session;

import io.agentlog.schemas.avro.Message;
import io.agentlog.schemas.avro.SessionState;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Everything the engine holds for one session: the small state record, the conversation (one message per entry)
 * and the workspace files. The engine's implementation reads its stores and buffers every write until the step is
 * applied; {@link MemorySessionModel} holds it all in memory (replay, fork, tests). {@link SessionFold} is the only
 * writer.
 */
public interface SessionModel {

    String sessionId();

    /** The state record, empty before the session started; the fold changes the returned record in place. */
    Optional<SessionState> state();

    /** Sets the state of a session that starts now. */
    void start(SessionState state);

    /** The conversation in order. */
    List<Message> history();

    /** Adds the message at {@code index} (the state's history size before the append). */
    void appendHistory(long index, Message message);

    Optional<byte[]> file(String path);

    /** Every workspace file, in path order. */
    SortedMap<String, byte[]> files();

    /** The workspace files whose path starts with {@code prefix}, in path order. */
    default SortedMap<String, byte[]> files(String prefix) {
        return files().subMap(prefix, prefix + Character.MAX_VALUE);
    }

    void putFile(String path, byte[] content);

    void deleteFile(String path);

    /** Whether a workspace content of this SHA-256 is already kept on agentlog.blobs for the session. */
    boolean hasBlob(String hash);

    void addBlob(String hash);

    /** Forgets the whole session: state, conversation, files and blob references (retention). */
    void purge();
}
