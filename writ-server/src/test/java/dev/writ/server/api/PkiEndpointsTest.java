package dev.writ.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.Pem;
import dev.writ.server.custody.SoftwareCustody;
import dev.writ.server.events.EventSink;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OCSP in both HTTP forms, nonces, caching, every CA's responder, and all-or-nothing issuance. */
class PkiEndpointsTest {
    @TempDir
    static Path tmp;

    static TestDomain d;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        d = TestDomain.start(tmp.resolve("data"));
    }

    @AfterAll
    static void stop() throws Exception {
        d.close();
    }

    static OCSPReq request(X509CertificateHolder issuer, BigInteger serial, byte[] nonce) throws Exception {
        OCSPReqBuilder b = new OCSPReqBuilder();
        b.addRequest(new CertificateID(
                new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1), issuer, serial));
        if (nonce != null) {
            b.setRequestExtensions(new Extensions(new Extension(
                    OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(nonce).getEncoded())));
        }
        return b.build();
    }

    static BasicOCSPResp post(String ca, OCSPReq req) throws Exception {
        HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(URI.create(d.base + "/ocsp/" + ca))
                        .header("Content-Type", "application/ocsp-request")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(req.getEncoded()))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.headers().firstValue("content-type")).contains("application/ocsp-response");
        OCSPResp resp = new OCSPResp(r.body());
        assertThat(resp.getStatus()).isZero();
        return (BasicOCSPResp) resp.getResponseObject();
    }

    @Test
    void getFormNonceEchoAndDelegatedResponderSignature() throws Exception {
        JsonNode a = d.createAgent("ocsp-get").body();
        X509CertificateHolder issuer = d.runtime.domain().ca(CaName.AGENTS).certificate();
        BigInteger serial = new BigInteger(a.path("serial").asText(), 16);

        OCSPReq plain = request(issuer, serial, null);
        String b64 = Base64.getEncoder().encodeToString(plain.getEncoded());
        HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(URI.create(
                                d.base + "/ocsp/agents/" + URLEncoder.encode(b64, StandardCharsets.US_ASCII)))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        BasicOCSPResp viaGet = (BasicOCSPResp) new OCSPResp(r.body()).getResponseObject();
        assertThat(viaGet.getResponses()[0].getCertStatus()).isNull(); // good
        // Signed by the delegated responder, whose certificate the CA issued.
        X509CertificateHolder responder = viaGet.getCerts()[0];
        assertThat(responder).isEqualTo(d.runtime.domain().ca(CaName.AGENTS).responderCertificate());
        assertThat(viaGet.isSignatureValid(new JcaContentVerifierProviderBuilder().build(responder)))
                .isTrue();
        assertThat(responder.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer)))
                .isTrue();

        // Without a nonce the pre-signed response is served again (same bytes); with one it is fresh and echoes it.
        assertThat(post("agents", plain).getEncoded())
                .isEqualTo(post("agents", plain).getEncoded());
        byte[] nonce = new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        BasicOCSPResp withNonce = post("agents", request(issuer, serial, nonce));
        assertThat(withNonce
                        .getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce)
                        .getExtnValue()
                        .getOctets())
                .isEqualTo(new DEROctetString(nonce).getEncoded());
    }

    @Test
    void everyCaAnswersForItsOwnCertificatesAndUnknownOtherwise() throws Exception {
        var domain = d.runtime.domain();
        for (CaName ca : new CaName[] {CaName.POLICY, CaName.AUDIT}) {
            X509CertificateHolder leaf = ca == CaName.POLICY
                    ? domain.policySigning().certificate()
                    : domain.auditSigning().certificate();
            BasicOCSPResp good = post(ca.id(), request(domain.ca(ca).certificate(), leaf.getSerialNumber(), null));
            assertThat(good.getResponses()[0].getCertStatus()).isNull();
        }
        // The root's responder answers for the intermediates.
        BasicOCSPResp inter = post(
                "root",
                request(domain.root(), domain.ca(CaName.AGENTS).certificate().getSerialNumber(), null));
        assertThat(inter.getResponses()[0].getCertStatus()).isNull();
        // Unknown serial, and a certificate of another CA asked at the wrong responder: unknown.
        assertThat(post("agents", request(domain.ca(CaName.AGENTS).certificate(), BigInteger.TEN, null))
                        .getResponses()[0]
                        .getCertStatus())
                .isInstanceOf(UnknownStatus.class);
        assertThat(post(
                                "agents",
                                request(
                                        domain.ca(CaName.POLICY).certificate(),
                                        domain.policySigning().certificate().getSerialNumber(),
                                        null))
                        .getResponses()[0]
                        .getCertStatus())
                .isInstanceOf(UnknownStatus.class);
        HttpResponse<byte[]> malformed = http.send(
                HttpRequest.newBuilder(URI.create(d.base + "/ocsp/agents"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0x30, 0x03, 1}))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(new OCSPResp(malformed.body()).getStatus()).isEqualTo(1); // malformedRequest
        assertThat(d.call("POST", "/ocsp/nobody", null, "x").errorCode()).isEqualTo("ca.not_found");
    }

    @Test
    void caCertificatesTrustBundleAndRootCrl() throws Exception {
        X509Certificate root =
                new JcaX509CertificateConverter().getCertificate(new X509CertificateHolder(d.getBytes("/ca/root.crt")));
        root.verify(root.getPublicKey());
        assertThat(Pem.decodeCertificates(new String(d.getBytes("/trust-bundle.pem"), StandardCharsets.US_ASCII)))
                .hasSize(4);
        assertThat(d.getBytes("/crl/root.crl")).isNotEmpty();
        assertThat(d.call("GET", "/crl/root-delta.crl", null, null).status()).isEqualTo(404);
        assertThat(d.call("GET", "/ca/elsewhere.crt", null, null).errorCode()).isEqualTo("ca.not_found");
    }

    static long count(TrustRuntime rt, String what) throws Exception {
        return rt.store()
                .inTransaction((dev.writ.server.store.StoreTx tx) -> what.equals("agents")
                        ? tx.agents().count()
                        : tx.credentials().count());
    }

    @Test
    void aFailureAfterKeyGenerationLeavesNoKeyAndNoRow() throws Exception {
        Path dir = tmp.resolve("failing");
        String token = TestDomain.init(dir);
        EventSink failing = (type, body) -> {
            throw new EventSink.EventException("audit log unavailable", null);
        };
        try (TrustRuntime rt = TrustRuntime.open(
                dir, TrustRuntime.Options.defaults().withEnv(Map.of()).withEvents(failing))) {
            WritServer server = rt.server("127.0.0.1", 0).start();
            try {
                int keys = ((SoftwareCustody) rt.custody()).handles().size();
                long agents = count(rt, "agents");
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/agents"))
                                .header("Authorization", "Bearer " + token)
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"tenant\":\"acme\",\"name\":\"x\",\"scope\":" + TestDomain.SCOPE + "}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(500);
                assertThat(r.body()).isEqualTo("{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}");
                assertThat(((SoftwareCustody) rt.custody()).handles()).hasSize(keys);
                assertThat(count(rt, "agents")).isEqualTo(agents);
                assertThat(count(rt, "credentials")).isZero();
            } finally {
                server.stop();
            }
        }
    }
}
