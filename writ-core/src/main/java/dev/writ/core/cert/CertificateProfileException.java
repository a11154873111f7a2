package dev.writ.core.cert;

/**
 * A certificate or extension that does not follow Writ's agent certificate profile. Fails closed: the certificate
 * must not be used.
 *
 * <p>Codes: {@code cert.profile.encoding}, {@code cert.profile.version}, {@code cert.profile.serial},
 * {@code cert.profile.key}, {@code cert.profile.validity}, {@code cert.profile.subject}, {@code cert.profile.san},
 * {@code cert.profile.ca}, {@code cert.profile.key_usage}, {@code cert.profile.eku},
 * {@code cert.profile.critical_extension}, {@code cert.profile.scope_missing},
 * {@code cert.profile.scope_not_critical}, {@code cert.profile.scope_invalid}, {@code cert.profile.model}.
 */
public final class CertificateProfileException extends Exception {
    private final String code;

    /**
     * @param code stable reason code
     * @param message a short sentence for the caller; never contains secrets
     */
    public CertificateProfileException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** Same, keeping the underlying cause for the operator's log. */
    public CertificateProfileException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The stable reason code. */
    public String code() {
        return code;
    }
}
