package io.agentlog.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * The schemas of released versions, fully resolved, as resources under
 * {@code io/agentlog/schemas/released/<release>/<Record>.avsc}. Decoders register them, so records
 * written by an older release still decode after an upgrade (single-object encoding names the
 * writer's schema by fingerprint).
 */
public final class SchemaHistory {

    /** Every release whose schemas are kept, oldest first. Add a release here when it is cut. */
    public static final List<String> RELEASES = List.of("0.1.0");

    private SchemaHistory() {}

    /** The released schema of a record type, if that release had it. */
    public static Optional<Schema> released(String release, String recordName) {
        String path = "/io/agentlog/schemas/released/" + release + "/" + recordName + ".avsc";
        try (InputStream in = SchemaHistory.class.getResourceAsStream(path)) {
            return in == null ? Optional.empty() : Optional.of(new Schema.Parser().parse(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read released schema " + path, e);
        }
    }

    /** All released schemas of a record type. */
    public static List<Schema> all(String recordName) {
        List<Schema> out = new ArrayList<>();
        RELEASES.forEach(release -> released(release, recordName).ifPresent(out::add));
        return out;
    }
}
