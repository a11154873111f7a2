package dev.writ.core.action;

import java.util.Objects;

/**
 * The exact HTTP request an action stands for: method, absolute URL and a digest of the body bytes. A PEP that sees
 * the real request compares all three, so what executes is byte for byte what was authorised.
 *
 * @param method upper-case HTTP method
 * @param url the request URL as the target sees it (scheme, host, path and query)
 * @param bodyDigest {@code sha256:} followed by the unpadded base64url SHA-256 of the exact body bytes
 */
public record HttpBinding(String method, String url, String bodyDigest) {
    public HttpBinding {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(bodyDigest, "bodyDigest");
    }

    /** The {@code sha256:} digest of a request body, as carried in {@code act.http.body}. */
    public static String digestBody(byte[] body) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(body);
            return "sha256:" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
