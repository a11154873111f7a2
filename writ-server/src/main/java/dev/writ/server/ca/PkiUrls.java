package dev.writ.server.ca;

import java.net.URI;

/**
 * The public URLs written into certificates (AIA, CRL distribution points), built from the server's public base URL,
 * for example {@code http://writ.example:8443}.
 */
public record PkiUrls(String baseUrl) {
    public PkiUrls {
        URI uri = URI.create(baseUrl);
        // Only absolute http(s) URLs make sense in a certificate.
        if (uri.getScheme() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException("public URL must be an absolute http or https URL");
        }
        while (baseUrl.endsWith("/")) {
            baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
        }
    }

    public String ocsp(CaName ca) {
        return baseUrl + "/ocsp/" + ca.id();
    }

    public String caCertificate(CaName ca) {
        return baseUrl + "/ca/" + ca.id() + ".crt";
    }

    public String crl(CaName ca) {
        return baseUrl + "/crl/" + ca.id() + ".crl";
    }

    public String deltaCrl(CaName ca) {
        return baseUrl + "/crl/" + ca.id() + "-delta.crl";
    }
}
