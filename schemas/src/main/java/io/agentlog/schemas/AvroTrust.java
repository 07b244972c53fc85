package io.agentlog.schemas;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to load, by name, classes it was not told to trust, and it loads generated
 * classes by name when it copies or decodes records. This trusts the classes generated from our
 * schemas (package {@value #GENERATED_PACKAGE}), once per JVM. Every generated record class calls
 * {@link #ensure()} when it loads (see src/main/avro-templates), so no caller has to.
 */
public final class AvroTrust {

    static final String GENERATED_PACKAGE = "io.agentlog.schemas.avro";

    static {
        var before = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(
                ClassSecurityValidator.composite(before, type -> GENERATED_PACKAGE.equals(type.getPackageName())));
    }

    private AvroTrust() {}

    /** Installs the trust (idempotent: the work happens once, when this class initialises). */
    public static void ensure() {}
}
