package dev.writ.core.cert;

import java.util.Objects;

/**
 * An agent's SPIFFE ID, {@code spiffe://<trust-domain>/tenant/<tenant>/agent/<agent-id>}, the single URI SAN of an
 * agent certificate.
 *
 * <p>Syntax follows the SPIFFE ID specification, restricted to Writ's path shape: the trust domain is 1..255 characters
 * of {@code [a-z0-9._-]}; tenant and agent id are path segments of 1..255 characters of {@code [A-Za-z0-9._-]}, other
 * than {@code .} and {@code ..}. No port, user info, query, fragment, percent-encoding or trailing slash.
 *
 * @param trustDomain the trust domain, e.g. {@code acme.example}
 * @param tenant the tenant
 * @param agentId the agent id
 */
public record SpiffeId(String trustDomain, String tenant, String agentId) {
    private static final String SCHEME = "spiffe://";
    private static final int MAX_LENGTH = 2048;

    /** @throws IllegalArgumentException when a part breaks the syntax above */
    public SpiffeId {
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(agentId, "agentId");
        if (!isTrustDomain(trustDomain)) {
            throw new IllegalArgumentException("trust domain must be 1 to 255 characters of [a-z0-9._-]");
        }
        if (!isSegment(tenant) || !isSegment(agentId)) {
            throw new IllegalArgumentException(
                    "tenant and agent id must be 1 to 255 characters of [A-Za-z0-9._-], not . or ..");
        }
        if (SCHEME.length()
                        + trustDomain.length()
                        + "/tenant/".length()
                        + tenant.length()
                        + "/agent/".length()
                        + agentId.length()
                > MAX_LENGTH) {
            throw new IllegalArgumentException("a SPIFFE ID is at most 2048 characters");
        }
    }

    /**
     * Parses the URI form, strictly.
     *
     * @throws CertificateProfileException with code {@code cert.profile.san} when {@code uri} is not exactly of the
     *     form above
     */
    public static SpiffeId parse(String uri) throws CertificateProfileException {
        if (uri == null || uri.length() > MAX_LENGTH || !uri.startsWith(SCHEME)) {
            throw invalid();
        }
        String rest = uri.substring(SCHEME.length());
        String[] parts = rest.split("/", -1);
        // trust-domain, "tenant", <tenant>, "agent", <agent-id>: nothing more, nothing less, no empty segments.
        if (parts.length != 5 || !parts[1].equals("tenant") || !parts[3].equals("agent")) {
            throw invalid();
        }
        try {
            return new SpiffeId(parts[0], parts[2], parts[4]);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
    }

    private static CertificateProfileException invalid() {
        return new CertificateProfileException(
                "cert.profile.san", "the SAN must be spiffe://<trust-domain>/tenant/<tenant>/agent/<agent-id>");
    }

    /** The URI form. */
    @Override
    public String toString() {
        return SCHEME + trustDomain + "/tenant/" + tenant + "/agent/" + agentId;
    }

    private static boolean isTrustDomain(String s) {
        if (s.isEmpty() || s.length() > 255) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isSegment(String s) {
        if (s.isEmpty() || s.length() > 255 || s.equals(".") || s.equals("..")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '.'
                    || c == '-'
                    || c == '_')) {
                return false;
            }
        }
        return true;
    }
}
