package dev.writ.server.ca;

import java.util.Locale;
import java.util.Optional;

/** The certificate authorities of a trust domain, by their path names in URLs and files. */
public enum CaName {
    ROOT,
    AGENTS,
    POLICY,
    AUDIT;

    /** The lowercase name used in URLs ({@code /ocsp/agents}) and file names. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a URL name; empty for anything else (deny by default). */
    public static Optional<CaName> parse(String id) {
        for (CaName c : values()) {
            if (c.id().equals(id)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
