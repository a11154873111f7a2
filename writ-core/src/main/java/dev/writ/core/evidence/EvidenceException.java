package dev.writ.core.evidence;

import java.util.Objects;
import java.util.Optional;

/**
 * Evidence failed verification. {@link #code()} is a stable dotted code naming the check that failed (for example
 * {@code evidence.file_hash}, {@code evidence.parent_missing}, {@code evidence.domain}, {@code denial.signature}, or an
 * envelope's {@code sae.*} code); {@link #file()} names the bundle file concerned, when there is one. The message is a
 * short sentence for people and never carries key material.
 */
public final class EvidenceException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String file;

    public EvidenceException(String code, String message) {
        this(code, null, message, null);
    }

    public EvidenceException(String code, String file, String message) {
        this(code, file, message, null);
    }

    public EvidenceException(String code, String file, String message, Throwable cause) {
        super(file == null ? message : file + ": " + message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.file = file;
    }

    /** The stable reason code. */
    public String code() {
        return code;
    }

    /** The bundle file the failure is about, if any. */
    public Optional<String> file() {
        return Optional.ofNullable(file);
    }
}
