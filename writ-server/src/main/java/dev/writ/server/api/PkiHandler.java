package dev.writ.server.api;

import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CrlPublisher;
import dev.writ.server.ca.OcspResponder;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.ops.WritMetrics;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The public PKI endpoints: OCSP ({@code GET|POST /ocsp/{ca}}, RFC 6960 with the GET form of its appendix A), full
 * and delta CRLs ({@code /crl/{ca}.crl}, {@code /crl/{ca}-delta.crl}), CA certificates ({@code /ca/{ca}.crt}, DER) and
 * the PEM trust bundle ({@code /trust-bundle.pem}). No authentication: these are public by design.
 */
public final class PkiHandler {
    private PkiHandler() {}

    public static Router router(TrustDomain domain, OcspResponder ocsp, CrlPublisher crls) {
        return router(domain, ocsp, crls, null);
    }

    /** The routes, counting OCSP responses in {@code metrics} (when not null). */
    public static Router router(TrustDomain domain, OcspResponder ocsp, CrlPublisher crls, WritMetrics metrics) {
        Router r = new Router();
        r.post("/ocsp/{ca}", ex -> {
            CaName ca = ca(ex.param("ca"));
            ocspReply(ex, ocsp.respond(ca, ex.body()), ca, metrics);
        });
        r.get("/ocsp/{ca}/{request...}", ex -> {
            CaName ca = ca(ex.param("ca"));
            // RFC 6960 appendix A: the URL-encoded base64 DER request. Read the raw path: base64 may hold '/' and
            // '+', which must not be taken as a separator or a space.
            String raw = ex.request().getHttpURI().getPath();
            String prefix = "/ocsp/" + ca.id() + "/";
            byte[] der;
            try {
                String b64 = URLDecoder.decode(
                        raw.substring(raw.indexOf(prefix) + prefix.length()).replace("+", "%2B"),
                        StandardCharsets.US_ASCII);
                der = Base64.getMimeDecoder().decode(b64);
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                der = new byte[0];
            }
            ocspReply(ex, ocsp.respond(ca, der), ca, metrics);
        });
        r.get("/crl/{file}", ex -> {
            String file = ex.param("file");
            if (!file.endsWith(".crl")) {
                throw ApiException.notFound("crl.not_found", "no such CRL");
            }
            String name = file.substring(0, file.length() - 4);
            boolean delta = name.endsWith("-delta");
            CaName ca = ca(delta ? name.substring(0, name.length() - 6) : name);
            Optional<byte[]> crl = delta ? crls.delta(ca) : crls.full(ca);
            ex.bytes(
                    200,
                    "application/pkix-crl",
                    crl.orElseThrow(() -> ApiException.notFound("crl.not_found", "no such CRL")));
        });
        r.get("/ca/{file}", ex -> {
            String file = ex.param("file");
            if (file.endsWith(".crt")) {
                CaName ca = ca(file.substring(0, file.length() - 4));
                ex.bytes(
                        200,
                        "application/pkix-cert",
                        domain.ca(ca).certificate().getEncoded());
            } else if (file.endsWith(".pem")) {
                CaName ca = ca(file.substring(0, file.length() - 4));
                ex.text(
                        200,
                        "application/x-pem-file",
                        Pem.certificate(domain.ca(ca).certificate()));
            } else {
                throw ApiException.notFound("ca.not_found", "no such CA");
            }
        });
        r.get("/trust-bundle.pem", ex -> ex.text(200, "application/x-pem-file", domain.trustBundlePem()));
        return r;
    }

    private static void ocspReply(Exchange ex, byte[] der, CaName ca, WritMetrics metrics) {
        // Counted before the answer goes out, so a client that scrapes right after its response sees it.
        if (metrics != null) metrics.ocspResponse(ca.id(), der);
        ex.bytes(200, "application/ocsp-response", der);
    }

    private static CaName ca(String id) throws ApiException {
        return CaName.parse(id).orElseThrow(() -> ApiException.notFound("ca.not_found", "no such CA"));
    }
}
