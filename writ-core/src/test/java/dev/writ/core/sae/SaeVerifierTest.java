package dev.writ.core.sae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.nonce.FileNonceStore;
import dev.writ.core.nonce.InMemoryNonceStore;
import dev.writ.core.nonce.NonceStore;
import dev.writ.core.nonce.NonceStoreException;
import dev.writ.core.revocation.InMemoryRevocationSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SaeVerifierTest {
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final TestPki PKI = new TestPki(T0);
    static final TestPki.Issued ED = PKI.agent().issue();
    static final TestPki.Issued P256 = PKI.agent().kind(TestPki.KeyKind.P256).issue();
    static final HttpBinding REQUEST =
            new HttpBinding("POST", "https://api.bank.test/v1/transfers", HttpBinding.digestBody(TestEnvelope.body()));

    final MutableClock clock = new MutableClock(T0.plusSeconds(5));
    final InMemoryRevocationSource revocations = new InMemoryRevocationSource();
    NonceStore nonces = new InMemoryNonceStore(clock);

    SaeVerifier.Builder builder() {
        return SaeVerifier.builder()
                .trustAnchors(List.of(PKI.root.certificate()))
                .clock(clock)
                .revocationSource(revocations);
    }

    SaeVerifier verifier() {
        return builder().nonceStore(nonces).build();
    }

    static TestEnvelope env(TestPki.Issued agent) {
        return TestEnvelope.standard(PKI, agent, T0, PKI.ocspGood(agent, T0));
    }

    void assertReason(String envelope, String reason) {
        assertReason(verifier(), envelope, REQUEST, reason);
    }

    static void assertReason(SaeVerifier v, String envelope, HttpBinding req, String reason) {
        assertThatThrownBy(() -> v.verify(envelope, req))
                .isInstanceOf(SaeVerificationException.class)
                .extracting(e -> ((SaeVerificationException) e).reason())
                .isEqualTo(reason);
    }

    @ParameterizedTest
    @EnumSource(TestPki.KeyKind.class)
    void validEnvelopeVerifiesAndBindsTheRequest(TestPki.KeyKind kind) throws Exception {
        TestPki.Issued agent = kind == TestPki.KeyKind.ED25519 ? ED : P256;
        TestEnvelope e = env(agent);
        String compact = e.sign(agent.privateKey());
        VerifiedAction v = verifier().verify(compact, REQUEST);
        assertThat(v.action().name()).isEqualTo("payments.transfer");
        assertThat(v.action().amount()).contains(12500L);
        assertThat(v.action().target()).isEqualTo("https://api.bank.test/v1/transfers");
        assertThat(v.agentId()).isEqualTo("spiffe://writ.test/tenant/acme/agent/a-1");
        assertThat(v.agentDn())
                .isEqualTo(agent.certificate().getSubjectX500Principal().getName("RFC2253"));
        assertThat(v.agent().name()).isEqualTo("payments-bot");
        assertThat(v.agent().tenant()).isEqualTo("acme");
        assertThat(v.jti()).isEqualTo(e.claims.get("jti").textValue());
        assertThat(v.policyHash()).isEqualTo("sha256:" + "ab".repeat(32));
        assertThat(v.issuedAt()).isEqualTo(T0);
        assertThat(v.expiresAt()).isEqualTo(T0.plusSeconds(120));
        assertThat(v.session()).contains("s-1");
        assertThat(v.envelopeHash())
                .isEqualTo(Envelopes.hash(compact))
                .startsWith("sha256:")
                .hasSize(71);
        assertThat(v.kid()).isEqualTo(Envelopes.kid(agent.der()));
    }

    @Test
    void acceptsTheFullySpecifiedAlgorithmNameAndTheLongTyp() throws Exception {
        TestEnvelope e = env(ED);
        e.header.put("alg", "Ed25519");
        e.header.put("typ", "application/sae+jwt");
        assertThat(verifier().verify(e.sign(ED.privateKey())).action().name()).isEqualTo("payments.transfer");
    }

    @Test
    void verifiesWithoutARequestWhenThePepDoesNotSeeOne() throws Exception {
        assertThat(verifier().verify(env(ED).sign(ED.privateKey())).jti()).isNotEmpty();
    }

    @Test
    void chainEndingInTheAnchorItselfAndCaSignedOcspAreAccepted() throws Exception {
        TestEnvelope e = TestEnvelope.standard(
                PKI,
                ED,
                T0,
                PKI.ocsp(ED, CertificateStatus.GOOD, T0.minusSeconds(10), T0.plusSeconds(3600), TestPki.OcspSigner.CA));
        e.header.withArray("x5c").add(Base64.getEncoder().encodeToString(PKI.root.der()));
        verifier().verify(e.sign(ED.privateKey()), REQUEST);
    }

    // ---- caches: the same answers on repeat and under concurrency ----

    @Test
    void concurrentFirstUsesOfANewChainAllVerify() throws Exception {
        SaeVerifier v = verifier();
        int n = 16;
        String[] envelopes = new String[n];
        for (int i = 0; i < n; i++) {
            envelopes[i] = env(ED).sign(ED.privateKey());
        }
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.List<java.util.concurrent.Future<VerifiedAction>> results = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(n)) {
            for (String e : envelopes) {
                results.add(pool.submit(() -> {
                    go.await();
                    return v.verify(e, REQUEST);
                }));
            }
            go.countDown();
            java.util.Set<String> jtis = new java.util.HashSet<>();
            for (var f : results) {
                jtis.add(f.get(30, java.util.concurrent.TimeUnit.SECONDS).jti());
            }
            assertThat(jtis).hasSize(n);
        }
    }

    @Test
    void aRememberedHeaderStillGoesThroughEveryLaterCheck() {
        SaeVerifier v = verifier();
        TestEnvelope first = env(ED);
        String good = first.sign(ED.privateKey());
        assertThat(catchThrowable(() -> v.verify(good, REQUEST))).isNull();
        String[] p = good.split("\\.");
        // Same header, altered payload: the signature check still runs.
        ObjectNode c = (ObjectNode) readJson(p[1]);
        c.put("sub", "https://evil.test/");
        assertReason(v, p[0] + "." + b64(c.toString()) + "." + p[2], REQUEST, "sae.signature");
        // Same header, replayed: the nonce check still runs.
        assertReason(v, good, REQUEST, "sae.replay");
        // Same header, certificate revoked since: the revocation check still runs.
        String later = env(ED).sign(ED.privateKey());
        revocations.revoke(ED.certificate());
        assertReason(v, later, REQUEST, "sae.revoked");
    }

    @Test
    void aHeaderSeenWithABadSignatureIsNotHeldAgainstAGoodEnvelope() throws Exception {
        SaeVerifier v = verifier();
        String good = env(ED).sign(ED.privateKey());
        String[] p = good.split("\\.");
        String forged = p[0] + "." + p[1] + "." + b64("x".repeat(64));
        assertReason(v, forged, REQUEST, "sae.signature");
        assertThat(v.verify(good, REQUEST).jti()).isNotEmpty();
    }

    // ---- tampering ----

    @Test
    void tamperedHeaderIsRejected() {
        String good = env(ED).sign(ED.privateKey());
        String[] p = good.split("\\.");
        ObjectNode h = (ObjectNode) readJson(p[0]);
        h.put("x-extra", "1");
        assertReason(b64(h.toString()) + "." + p[1] + "." + p[2], "sae.signature");
    }

    @Test
    void tamperedPayloadIsRejected() {
        String good = env(ED).sign(ED.privateKey());
        String[] p = good.split("\\.");
        ObjectNode c = (ObjectNode) readJson(p[1]);
        ((ObjectNode) c.get("act").get("params")).put("amount", 99999);
        assertReason(p[0] + "." + b64(c.toString()) + "." + p[2], "sae.signature");
    }

    @ParameterizedTest
    @EnumSource(TestPki.KeyKind.class)
    void tamperedSignatureIsRejected(TestPki.KeyKind kind) {
        TestPki.Issued agent = kind == TestPki.KeyKind.ED25519 ? ED : P256;
        String good = env(agent).sign(agent.privateKey());
        String[] p = good.split("\\.");
        byte[] sig = Base64.getUrlDecoder().decode(p[2]);
        sig[5] ^= 1;
        assertReason(
                p[0] + "." + p[1] + "."
                        + Base64.getUrlEncoder().withoutPadding().encodeToString(sig),
                "sae.signature");
        assertReason(
                p[0] + "." + p[1] + "."
                        + Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(sig, 63)),
                "sae.signature");
    }

    // ---- algorithm, typ, crit ----

    @Test
    void algNoneIsRejected() {
        TestEnvelope e = env(ED);
        e.header.put("alg", "none");
        String signed = e.sign(ED.privateKey());
        assertReason(signed, "sae.alg");
        assertReason(signed.substring(0, signed.lastIndexOf('.') + 1), "sae.malformed"); // empty signature part
    }

    @Test
    void hmacIsRejected() throws Exception {
        TestEnvelope e = env(ED);
        e.header.put("alg", "HS256");
        String input = b64(e.header.toString()) + "." + b64(e.claims.toString());
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(ED.publicKey().getEncoded(), "HmacSHA256"));
        String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(input.getBytes()));
        assertReason(input + "." + sig, "sae.alg");
    }

    @Test
    void algNotMatchingTheKeyIsRejected() {
        TestEnvelope e = env(ED);
        e.header.put("alg", "ES256");
        assertReason(e.sign(ED.privateKey()), "sae.alg");
        TestEnvelope p = env(P256);
        p.header.put("alg", "EdDSA");
        assertReason(p.sign(P256.privateKey()), "sae.alg");
    }

    @Test
    void typMissingOrWrongIsRejected() {
        TestEnvelope e = env(ED);
        e.header.remove("typ");
        assertReason(e.sign(ED.privateKey()), "sae.typ");
        e.header.put("typ", "JWT");
        assertReason(e.sign(ED.privateKey()), "sae.typ");
        e.header.put("typ", "sae-denial+jwt");
        assertReason(e.sign(ED.privateKey()), "sae.typ");
    }

    @Test
    void unknownCritIsRejected() {
        TestEnvelope e = env(ED);
        e.header.putArray("crit").add("x-unknown");
        e.header.put("x-unknown", true);
        assertReason(e.sign(ED.privateKey()), "sae.crit");
    }

    @Test
    void kidAndIssMustNameTheCertificate() {
        TestEnvelope e = env(ED);
        e.header.put("kid", Envelopes.kid(P256.der()));
        assertReason(e.sign(ED.privateKey()), "sae.kid");
        TestEnvelope f = env(ED);
        f.claims.put("iss", "CN=someone-else,O=acme");
        assertReason(f.sign(ED.privateKey()), "sae.iss");
    }

    // ---- time ----

    @Test
    void expiredEnvelopeIsRejected() {
        String s = env(ED).sign(ED.privateKey());
        clock.set(T0.plusSeconds(120 + 30 + 1));
        assertReason(s, "sae.expired");
        clock.set(T0.plusSeconds(120 + 30)); // within the skew: still valid
        assertThat(catchReason(verifier(), s)).isNull();
    }

    @Test
    void notYetValidEnvelopeIsRejected() {
        TestEnvelope e = env(ED);
        e.claims.put("nbf", T0.getEpochSecond() + 60);
        String s = e.sign(ED.privateKey());
        assertReason(s, "sae.not_yet_valid");
    }

    @Test
    void lifetimeOutsideThirtyToThreeHundredSecondsIsRejected() {
        TestEnvelope e = env(ED);
        e.claims.put("exp", T0.getEpochSecond() + 301);
        assertReason(e.sign(ED.privateKey()), "sae.lifetime");
        e.claims.put("exp", T0.getEpochSecond() + 29);
        assertReason(e.sign(ED.privateKey()), "sae.lifetime");
        e.claims.put("exp", T0.getEpochSecond() + 300);
        assertThat(catchReason(verifier(), e.sign(ED.privateKey()))).isNull();
    }

    @Test
    void fractionalOrMissingTimesAreMalformed() {
        TestEnvelope e = env(ED);
        e.claims.put("iat", T0.getEpochSecond() + 0.5);
        assertReason(e.sign(ED.privateKey()), "sae.malformed");
        TestEnvelope f = env(ED);
        f.claims.remove("exp");
        assertReason(f.sign(ED.privateKey()), "sae.malformed");
    }

    // ---- replay ----

    @Test
    void replayOnTheSameNodeIsRejected() throws Exception {
        SaeVerifier v = verifier();
        String s = env(ED).sign(ED.privateKey());
        v.verify(s, REQUEST);
        assertReason(v, s, REQUEST, "sae.replay");
    }

    @Test
    void replayAfterARestartIsRejected(@TempDir Path dir) throws Exception {
        String s = env(ED).sign(ED.privateKey());
        try (FileNonceStore store =
                FileNonceStore.open(dir.resolve("nonces"), clock, FileNonceStore.Durability.WRITE)) {
            builder().nonceStore(store).build().verify(s, REQUEST);
        }
        try (FileNonceStore store =
                FileNonceStore.open(dir.resolve("nonces"), clock, FileNonceStore.Durability.WRITE)) {
            assertReason(builder().nonceStore(store).build(), s, REQUEST, "sae.replay");
        }
    }

    @Test
    void aForgedEnvelopeCannotBurnTheNonce() throws Exception {
        TestEnvelope e = env(ED);
        String genuine = e.sign(ED.privateKey());
        String forged = e.sign(TestPki.keyPair(TestPki.KeyKind.ED25519).getPrivate());
        SaeVerifier v = verifier();
        assertReason(v, forged, REQUEST, "sae.signature");
        v.verify(genuine, REQUEST);
    }

    @Test
    void aFailingNonceStoreDenies() {
        nonces = new NonceStore() {
            @Override
            public boolean recordIfAbsent(String nonce, Instant expiresAt) throws NonceStoreException {
                throw new NonceStoreException("down");
            }

            @Override
            public void close() {}
        };
        assertReason(env(ED).sign(ED.privateKey()), "sae.nonce_store");
    }

    // ---- revocation ----

    @Test
    void stapledRevokedIsRejected() {
        assertReason(TestEnvelope.standard(PKI, ED, T0, PKI.ocspRevoked(ED, T0)).sign(ED.privateKey()), "sae.revoked");
    }

    @Test
    void staleStapleIsRejected() {
        byte[] old = PKI.ocsp(
                ED,
                CertificateStatus.GOOD,
                T0.minus(Duration.ofHours(3)),
                T0.minus(Duration.ofHours(2)),
                TestPki.OcspSigner.RESPONDER);
        assertReason(TestEnvelope.standard(PKI, ED, T0, old).sign(ED.privateKey()), "sae.ocsp_stale");
        byte[] noNext =
                PKI.ocsp(ED, CertificateStatus.GOOD, T0.minus(Duration.ofHours(2)), null, TestPki.OcspSigner.RESPONDER);
        assertReason(TestEnvelope.standard(PKI, ED, T0, noNext).sign(ED.privateKey()), "sae.ocsp_stale");
    }

    @Test
    void revocationPushedAfterSigningIsRejected() {
        String s = env(ED).sign(ED.privateKey());
        revocations.revoke(ED.certificate());
        assertReason(s, "sae.revoked");
    }

    @Test
    void revokedIntermediateIsRejected() {
        String s = env(ED).sign(ED.privateKey());
        revocations.revoke(PKI.intermediate.certificate());
        assertReason(s, "sae.revoked");
    }

    @Test
    void aFailingRevocationSourceDenies() {
        SaeVerifier v = SaeVerifier.builder()
                .trustAnchors(List.of(PKI.root.certificate()))
                .clock(clock)
                .revocationSource((issuer, serial) -> {
                    throw new IllegalStateException("revocation feed lost");
                })
                .nonceStore(nonces)
                .build();
        assertReason(v, env(ED).sign(ED.privateKey()), REQUEST, "sae.revocation_unavailable");
    }

    @Test
    void aRuntimeExceptionInsideVerificationIsARejection() {
        SaeVerifier v = SaeVerifier.builder()
                .trustAnchors(List.of(PKI.root.certificate()))
                .clock(() -> {
                    throw new IllegalStateException("clock provider failed");
                })
                .revocationSource(revocations)
                .nonceStore(nonces)
                .build();
        assertReason(v, env(ED).sign(ED.privateKey()), REQUEST, "sae.invalid");
    }

    @Test
    void revocationSnapshotsReplaceTheSet() {
        String s = env(ED).sign(ED.privateKey());
        revocations.replaceAll(List.of(new InMemoryRevocationSource.Entry(
                ED.certificate().getIssuerX500Principal(), ED.certificate().getSerialNumber())));
        assertReason(s, "sae.revoked");
        revocations.replaceAll(List.of());
        assertThat(revocations.size()).isZero();
        assertThat(catchReason(verifier(), s)).isNull();
    }

    @Test
    void badStaplesAreRejected() {
        assertReason(
                TestEnvelope.standard(PKI, ED, T0, PKI.ocspUnknown(ED, T0)).sign(ED.privateKey()), "sae.ocsp_invalid");
        byte[] stranger = PKI.ocsp(
                ED, CertificateStatus.GOOD, T0.minusSeconds(10), T0.plusSeconds(3600), TestPki.OcspSigner.STRANGER);
        assertReason(TestEnvelope.standard(PKI, ED, T0, stranger).sign(ED.privateKey()), "sae.ocsp_invalid");
        assertReason(
                TestEnvelope.standard(PKI, ED, T0, PKI.ocspGood(P256, T0)).sign(ED.privateKey()), "sae.ocsp_invalid");
        assertReason(
                TestEnvelope.standard(PKI, ED, T0, new byte[] {0x30, 0x03, 0x0a, 0x01, 0x00})
                        .sign(ED.privateKey()),
                "sae.ocsp_invalid");
        byte[] future = PKI.ocsp(
                ED, CertificateStatus.GOOD, T0.plusSeconds(600), T0.plusSeconds(3600), TestPki.OcspSigner.RESPONDER);
        assertReason(TestEnvelope.standard(PKI, ED, T0, future).sign(ED.privateKey()), "sae.ocsp_invalid");
    }

    // ---- chain ----

    @Test
    void chainToAnUntrustedRootIsRejected() {
        TestPki other = TestPki.other(T0);
        TestPki.Issued stranger = other.agent().issue();
        assertReason(
                TestEnvelope.standard(other, stranger, T0, other.ocspGood(stranger, T0))
                        .sign(stranger.privateKey()),
                "sae.chain");
    }

    @Test
    void certificateNotValidAtIatIsRejected() {
        TestPki.Issued old = PKI.agent()
                .validity(T0.minus(Duration.ofDays(2)), T0.minus(Duration.ofDays(1)))
                .issue();
        assertReason(
                TestEnvelope.standard(PKI, old, T0, PKI.ocspGood(old, T0)).sign(old.privateKey()), "sae.cert_expired");
    }

    @Test
    void certificateWithoutTheAgentProfileIsRejected() {
        TestPki.Issued tls = PKI.agent().eku(KeyPurposeId.id_kp_serverAuth).issue();
        assertReason(
                TestEnvelope.standard(PKI, tls, T0, PKI.ocspGood(tls, T0)).sign(tls.privateKey()), "sae.cert_profile");
        TestPki.Issued noSig = PKI.agent()
                .keyUsage(org.bouncycastle.asn1.x509.KeyUsage.keyEncipherment)
                .issue();
        assertReason(
                TestEnvelope.standard(PKI, noSig, T0, PKI.ocspGood(noSig, T0)).sign(noSig.privateKey()),
                "sae.cert_profile");
        TestPki.Issued noScope = PKI.agent().scopeDer(null).issue();
        assertReason(
                TestEnvelope.standard(PKI, noScope, T0, PKI.ocspGood(noScope, T0))
                        .sign(noScope.privateKey()),
                "sae.cert_profile");
    }

    @Test
    void unreadableScopePermitsNothing() {
        TestPki.Issued bad = PKI.agent().scopeDer(new byte[] {0x05, 0x00}).issue();
        assertReason(
                TestEnvelope.standard(PKI, bad, T0, PKI.ocspGood(bad, T0)).sign(bad.privateKey()),
                "sae.scope.malformed");
    }

    // ---- scope ----

    @Test
    void actionOutsideScopeIsRejected() {
        TestPki.Issued narrow = PKI.agent().scope(SCOPE_NARROW).issue();
        TestEnvelope e = TestEnvelope.standard(PKI, narrow, T0, PKI.ocspGood(narrow, T0));
        ((ObjectNode) e.claims.get("act")).put("name", "payments.refund");
        assertReason(e.sign(narrow.privateKey()), "sae.scope.action");
    }

    @Test
    void amountOverTheLimitIsRejected() {
        TestPki.Issued narrow = PKI.agent().scope(SCOPE_NARROW).issue();
        TestEnvelope e = TestEnvelope.standard(PKI, narrow, T0, PKI.ocspGood(narrow, T0));
        ((ObjectNode) e.claims.get("act").get("params")).put("amount", 100001);
        assertReason(e.sign(narrow.privateKey()), "sae.scope.amount");
    }

    static final String SCOPE_NARROW = "{\"actions\":[\"payments.transfer\"],\"limits\":{\"EUR\":100000},"
            + "\"counterparties\":[\"vendor-y\"],\"regions\":[\"eu-west-1\"],"
            + "\"hours\":{\"tz\":\"UTC\",\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],\"start\":480,\"end\":1080},"
            + "\"classification\":\"internal\",\"delegation\":0}";

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "currency, USD, sae.scope.currency",
        "counterparty, vendor-z, sae.scope.counterparty",
        "region, us-east-1, sae.scope.region",
        "classification, confidential, sae.scope.classification",
        "hours, 2026-03-01T10:00:00Z, sae.scope.hours",
        "hours, 2026-03-02T20:00:00Z, sae.scope.hours",
    })
    void eachScopeDimensionIsEnforced(String dimension, String value, String reason) {
        Instant at = dimension.equals("hours") ? Instant.parse(value) : T0;
        TestPki narrow = new TestPki(at);
        TestPki.Issued agent = narrow.agent().scope(SCOPE_NARROW).issue();
        TestEnvelope e = TestEnvelope.standard(narrow, agent, at, narrow.ocspGood(agent, at));
        ObjectNode act = (ObjectNode) e.claims.get("act");
        switch (dimension) {
            case "classification" -> act.put("classification", value);
            case "hours" -> {}
            default -> ((ObjectNode) act.get("params")).put(dimension, value);
        }
        clock.set(at.plusSeconds(1));
        SaeVerifier v = SaeVerifier.builder()
                .trustAnchors(List.of(narrow.root.certificate()))
                .clock(clock)
                .revocationSource(revocations)
                .nonceStore(nonces)
                .build();
        assertReason(v, e.sign(agent.privateKey()), null, reason);
    }

    // ---- request binding ----

    @Test
    void requestNotMatchingTheEnvelopeIsRejected() {
        SaeVerifier v = verifier();
        String s = env(ED).sign(ED.privateKey());
        assertReason(v, s, new HttpBinding("PUT", REQUEST.url(), REQUEST.bodyDigest()), "sae.binding.method");
        assertReason(v, s, new HttpBinding("POST", REQUEST.url() + "?x=1", REQUEST.bodyDigest()), "sae.binding.url");
        assertReason(
                v,
                s,
                new HttpBinding("POST", REQUEST.url(), HttpBinding.digestBody("{}".getBytes())),
                "sae.binding.body");
        TestEnvelope e = env(ED);
        ((ObjectNode) e.claims.get("act")).remove("http");
        assertReason(v, e.sign(ED.privateKey()), REQUEST, "sae.binding.missing");
    }

    // ---- strict parsing ----

    @Test
    void oversizedInputIsRejectedBeforeParsing() {
        assertReason("a".repeat(SaeVerifier.DEFAULT_MAX_SIZE + 1), "sae.too_large");
        TestEnvelope e = env(ED);
        e.claims.put("pad", "x".repeat(40_000));
        assertReason(e.sign(ED.privateKey()), "sae.too_large");
    }

    @Test
    void malformedBase64IsRejected() {
        String s = env(ED).sign(ED.privateKey());
        String[] p = s.split("\\.");
        assertReason(p[0] + "=." + p[1] + "." + p[2], "sae.malformed");
        assertReason(p[0] + "." + p[1].replace('-', '+').replace('_', '/') + "x." + p[2], "sae.malformed");
        assertReason(p[0] + "." + p[1] + "." + p[2] + "=", "sae.malformed");
        assertReason(p[0] + "." + p[1], "sae.malformed");
        assertReason(s + ".e30", "sae.malformed");
        assertReason("." + p[1] + "." + p[2], "sae.malformed");
        assertReason(p[0] + " ." + p[1] + "." + p[2], "sae.malformed");
        // Non-zero unused bits in the last character: another spelling of the same signature bytes.
        char last = p[2].charAt(p[2].length() - 1);
        String sibling = p[2].substring(0, p[2].length() - 1) + (char) (last + 1);
        assertReason(p[0] + "." + p[1] + "." + sibling, "sae.malformed");
    }

    @Test
    void malformedJsonIsRejected() {
        byte[] payload = env(ED).claims.toString().getBytes(StandardCharsets.UTF_8);
        assertReason(TestEnvelope.signRaw(ED.privateKey(), "{\"alg\":".getBytes(), payload), "sae.malformed");
        assertReason(TestEnvelope.signRaw(ED.privateKey(), "[1]".getBytes(), payload), "sae.malformed");
        String h = env(ED).header.toString();
        assertReason(TestEnvelope.signRaw(ED.privateKey(), (h + "x").getBytes(), payload), "sae.malformed");
        assertReason(TestEnvelope.signRaw(ED.privateKey(), h.getBytes(), "null".getBytes()), "sae.malformed");
    }

    @Test
    void duplicateJsonKeysAreRejected() {
        TestEnvelope e = env(ED);
        String h = e.header.toString();
        String dupHeader = "{\"alg\":\"none\"," + h.substring(1);
        assertReason(
                TestEnvelope.signRaw(
                        ED.privateKey(),
                        dupHeader.getBytes(),
                        e.claims.toString().getBytes()),
                "sae.malformed");
        String c = e.claims.toString();
        String dupPayload = "{\"sub\":\"https://elsewhere.test\"," + c.substring(1);
        assertReason(TestEnvelope.signRaw(ED.privateKey(), h.getBytes(), dupPayload.getBytes()), "sae.malformed");
    }

    @Test
    void builderChecksItsSettings() {
        assertThatThrownBy(() -> SaeVerifier.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nonce store");
        assertThatThrownBy(() -> builder().clockSkew(Duration.ofMinutes(6)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder().trustAnchors(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- helpers ----

    static String catchReason(SaeVerifier v, String s) {
        try {
            v.verify(s, REQUEST);
            return null;
        } catch (SaeVerificationException e) {
            return e.reason();
        }
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static com.fasterxml.jackson.databind.JsonNode readJson(String b64url) {
        try {
            return TestEnvelope.JSON.readTree(Base64.getUrlDecoder().decode(b64url));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
