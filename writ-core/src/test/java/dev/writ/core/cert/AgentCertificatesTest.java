package dev.writ.core.cert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.core.scope.Scope;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AgentCertificatesTest {
    static final TestCa CA = new TestCa();

    static Extension ext(ASN1ObjectIdentifier oid, boolean critical, ASN1Encodable value) {
        try {
            return new Extension(
                    oid, critical, new DEROctetString(value.toASN1Primitive().getEncoded("DER")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static Extension raw(ASN1ObjectIdentifier oid, boolean critical, byte[] value) {
        return new Extension(oid, critical, new DEROctetString(value));
    }

    static Extension san(GeneralName... names) {
        return ext(Extension.subjectAlternativeName, false, new GeneralNames(names));
    }

    static GeneralName uri(String u) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, u);
    }

    static Extension eku(KeyPurposeId... ids) {
        return ext(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(ids));
    }

    static final KeyPurposeId AGENT = KeyPurposeId.getInstance(WritOids.KP_AGENT_ACTION);

    @Test
    void acceptsACertificateBuiltFromTheIssuanceHelpers() throws Exception {
        X509Certificate cert = CA.issue(new TestCa.Spec());
        AgentIdentity id = AgentCertificates.parse(cert);
        assertThat(id.spiffeId().toString()).isEqualTo("spiffe://acme.example/tenant/acme/agent/agent-42");
        assertThat(id.trustDomain()).isEqualTo("acme.example");
        assertThat(id.tenant()).isEqualTo("acme");
        assertThat(id.agentId()).isEqualTo("agent-42");
        assertThat(id.name()).isEqualTo("Invoice bot");
        assertThat(id.scope()).isEqualTo(TestCa.scope());
        assertThat(id.model()).contains(TestCa.model());
        assertThat(id.certificate()).isSameAs(cert);
        assertThat(id.serialHex()).isEqualTo(cert.getSerialNumber().toString(16));
        // A generic validator sees the scope extension as critical and unknown: the point of the profile.
        assertThat(cert.getCriticalExtensionOIDs()).contains(WritOids.SCOPE.getId());
        assertThat(cert.getNonCriticalExtensionOIDs()).contains(WritOids.MODEL.getId());
        assertThat(cert.getExtendedKeyUsage()).containsExactly(WritOids.KP_AGENT_ACTION.getId());
        assertThat(cert.getKeyUsage()[0]).isTrue();
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        cert.verify(CA.caCert.getPublicKey());
    }

    @Test
    void acceptsP256KeysAndAMissingModel() throws Exception {
        TestCa.Spec spec = new TestCa.Spec();
        spec.key = TestCa.generate("EC", "secp256r1").getPublic();
        spec.remove(WritOids.MODEL);
        AgentIdentity id = AgentCertificates.parse(CA.issue(spec));
        assertThat(id.model()).isEmpty();
    }

    @Test
    void acceptsTheValidityBounds() throws Exception {
        TestCa.Spec shortest = new TestCa.Spec();
        shortest.notAfter = shortest.notBefore.plus(Duration.ofMinutes(5));
        AgentCertificates.parse(CA.issue(shortest));
        TestCa.Spec longest = new TestCa.Spec();
        longest.notAfter = longest.notBefore.plus(Duration.ofDays(365)).plus(Duration.ofMinutes(10));
        AgentCertificates.parse(CA.issue(longest));
    }

    @Test
    void rejectsVersion1() {
        assertRejected(CA.issueV1(new TestCa.Spec()), "cert.profile.version");
    }

    static Arguments reject(String name, Consumer<TestCa.Spec> change, String code) {
        return Arguments.of(name, change, code);
    }

    static X500Name name(String... typeValue) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        for (int i = 0; i < typeValue.length; i += 2) {
            b.addRDN(BCStyle.INSTANCE.attrNameToOID(typeValue[i]), typeValue[i + 1]);
        }
        return b.build();
    }

    static Stream<Arguments> rejections() {
        return Stream.of(
                reject("zero serial", s -> s.serial = BigInteger.ZERO, "cert.profile.serial"),
                reject("negative serial", s -> s.serial = BigInteger.valueOf(-42), "cert.profile.serial"),
                reject("21-octet serial", s -> s.serial = BigInteger.ONE.shiftLeft(160), "cert.profile.serial"),
                reject(
                        "P-384 key",
                        s -> s.key = TestCa.generate("EC", "secp384r1").getPublic(),
                        "cert.profile.key"),
                reject("Ed448 key", s -> s.key = TestCa.generate("Ed448", null).getPublic(), "cert.profile.key"),
                reject(
                        "validity under 5 minutes",
                        s -> s.notAfter =
                                s.notBefore.plus(Duration.ofMinutes(5)).minusSeconds(1),
                        "cert.profile.validity"),
                reject(
                        "validity over 365 days",
                        s -> s.notAfter = s.notBefore.plus(Duration.ofDays(366)),
                        "cert.profile.validity"),
                reject(
                        "notAfter before notBefore",
                        s -> s.notAfter = s.notBefore.minusSeconds(3600),
                        "cert.profile.validity"),
                reject(
                        "unknown critical extension",
                        s -> s.put(ext(new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"), true, DERNull.INSTANCE)),
                        "cert.profile.critical_extension"),
                reject(
                        "critical certificate policies",
                        s -> s.put(ext(Extension.certificatePolicies, true, new org.bouncycastle.asn1.DERSequence())),
                        "cert.profile.critical_extension"),
                reject("subject without O", s -> s.subject = name("CN", "Invoice bot"), "cert.profile.subject"),
                reject(
                        "subject with OU",
                        s -> s.subject = name("CN", "Invoice bot", "O", "acme", "OU", "x"),
                        "cert.profile.subject"),
                reject("subject with two CNs", s -> s.subject = name("CN", "a", "CN", "b"), "cert.profile.subject"),
                reject("subject with empty CN", s -> s.subject = name("CN", "", "O", "acme"), "cert.profile.subject"),
                reject(
                        "multi-valued RDN",
                        s -> s.subject = new X500NameBuilder(BCStyle.INSTANCE)
                                .addMultiValuedRDN(
                                        new ASN1ObjectIdentifier[] {BCStyle.CN, BCStyle.O},
                                        new String[] {"Invoice bot", "acme"})
                                .build(),
                        "cert.profile.subject"),
                reject(
                        "O is another tenant",
                        s -> s.subject = AgentExtensions.subject("Invoice bot", "globex"),
                        "cert.profile.subject"),
                reject("no SAN", s -> s.remove(Extension.subjectAlternativeName), "cert.profile.san"),
                reject(
                        "two URIs",
                        s -> s.put(san(
                                uri("spiffe://acme.example/tenant/acme/agent/agent-42"),
                                uri("spiffe://acme.example/tenant/acme/agent/agent-43"))),
                        "cert.profile.san"),
                reject(
                        "URI and DNS name",
                        s -> s.put(san(
                                uri("spiffe://acme.example/tenant/acme/agent/agent-42"),
                                new GeneralName(GeneralName.dNSName, "agent.acme.example"))),
                        "cert.profile.san"),
                reject(
                        "DNS name only",
                        s -> s.put(san(new GeneralName(GeneralName.dNSName, "acme.example"))),
                        "cert.profile.san"),
                reject(
                        "https URI",
                        s -> s.put(san(uri("https://acme.example/tenant/acme/agent/agent-42"))),
                        "cert.profile.san"),
                reject(
                        "SPIFFE ID with another path",
                        s -> s.put(san(uri("spiffe://acme.example/ns/acme/sa/agent-42"))),
                        "cert.profile.san"),
                reject(
                        "SPIFFE ID with a query",
                        s -> s.put(san(uri("spiffe://acme.example/tenant/acme/agent/agent-42?x=1"))),
                        "cert.profile.san"),
                reject(
                        "SPIFFE ID with upper-case trust domain",
                        s -> s.put(san(uri("spiffe://ACME.example/tenant/acme/agent/agent-42"))),
                        "cert.profile.san"),
                reject("no basicConstraints", s -> s.remove(Extension.basicConstraints), "cert.profile.ca"),
                reject(
                        "CA:true",
                        s -> s.put(ext(Extension.basicConstraints, true, new BasicConstraints(true))),
                        "cert.profile.ca"),
                reject(
                        "CA:true with path length",
                        s -> s.put(ext(Extension.basicConstraints, true, new BasicConstraints(0))),
                        "cert.profile.ca"),
                reject("no keyUsage", s -> s.remove(Extension.keyUsage), "cert.profile.key_usage"),
                reject(
                        "keyUsage not critical",
                        s -> s.put(ext(Extension.keyUsage, false, new KeyUsage(KeyUsage.digitalSignature))),
                        "cert.profile.key_usage"),
                reject(
                        "keyUsage with keyEncipherment",
                        s -> s.put(ext(
                                Extension.keyUsage,
                                true,
                                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))),
                        "cert.profile.key_usage"),
                reject(
                        "keyUsage keyCertSign",
                        s -> s.put(ext(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign))),
                        "cert.profile.key_usage"),
                reject("no EKU", s -> s.remove(Extension.extendedKeyUsage), "cert.profile.eku"),
                reject("EKU serverAuth", s -> s.put(eku(KeyPurposeId.id_kp_serverAuth)), "cert.profile.eku"),
                reject(
                        "EKU agentAction and clientAuth",
                        s -> s.put(eku(AGENT, KeyPurposeId.id_kp_clientAuth)),
                        "cert.profile.eku"),
                reject(
                        "EKU anyExtendedKeyUsage",
                        s -> s.put(eku(KeyPurposeId.anyExtendedKeyUsage)),
                        "cert.profile.eku"),
                reject("no scope", s -> s.remove(WritOids.SCOPE), "cert.profile.scope_missing"),
                reject(
                        "scope not critical",
                        s -> s.put(raw(WritOids.SCOPE, false, TestCa.scope().toDer())),
                        "cert.profile.scope_not_critical"),
                reject(
                        "scope garbage",
                        s -> s.put(raw(WritOids.SCOPE, true, new byte[] {0x30, 0x00})),
                        "cert.profile.scope_invalid"),
                reject(
                        "scope with trailing byte",
                        s -> s.put(
                                raw(WritOids.SCOPE, true, concat(TestCa.scope().toDer(), new byte[] {0}))),
                        "cert.profile.scope_invalid"),
                reject(
                        "scope as JSON",
                        s -> s.put(raw(
                                WritOids.SCOPE,
                                true,
                                TestCa.SCOPE_JSON.getBytes(java.nio.charset.StandardCharsets.UTF_8))),
                        "cert.profile.scope_invalid"),
                reject(
                        "model critical",
                        s -> s.put(raw(WritOids.MODEL, true, TestCa.model().toDer())),
                        "cert.profile.critical_extension"),
                reject(
                        "model garbage",
                        s -> s.put(raw(WritOids.MODEL, false, new byte[] {0x04, 0x00})),
                        "cert.profile.model"));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    void rejects(String name, Consumer<TestCa.Spec> change, String code) {
        TestCa.Spec spec = new TestCa.Spec();
        change.accept(spec);
        assertRejected(CA.issue(spec), code);
    }

    static void assertRejected(X509Certificate cert, String code) {
        assertThatThrownBy(() -> AgentCertificates.parse(cert))
                .isInstanceOf(CertificateProfileException.class)
                .extracting(e -> ((CertificateProfileException) e).code())
                .isEqualTo(code);
    }

    @Test
    void scopeInvalidCarriesTheScopeCode() {
        TestCa.Spec spec = new TestCa.Spec().put(raw(WritOids.SCOPE, true, new byte[] {0x30, 0x00}));
        assertThatThrownBy(() -> AgentCertificates.parse(CA.issue(spec)))
                .isInstanceOf(CertificateProfileException.class)
                .hasMessageContaining("scope.malformed")
                .hasCauseInstanceOf(dev.writ.core.scope.ScopeException.class);
    }

    @Test
    void issuanceHelpersHaveTheProfileCriticality() {
        assertThat(AgentExtensions.scope(TestCa.scope()).isCritical()).isTrue();
        assertThat(AgentExtensions.model(TestCa.model()).isCritical()).isFalse();
        assertThat(AgentExtensions.keyUsage().isCritical()).isTrue();
        assertThat(AgentExtensions.basicConstraints().isCritical()).isTrue();
        assertThat(AgentExtensions.extendedKeyUsage().isCritical()).isFalse();
        assertThat(AgentExtensions.spiffeId(new SpiffeId("a", "b", "c")).isCritical())
                .isFalse();
        assertThat(AgentExtensions.forAgent(new SpiffeId("a", "b", "c"), Scope.top(), java.util.Optional.empty()))
                .extracting(Extension::getExtnId)
                .containsExactly(
                        Extension.basicConstraints,
                        Extension.keyUsage,
                        Extension.extendedKeyUsage,
                        Extension.subjectAlternativeName,
                        WritOids.SCOPE);
        assertThat(AgentExtensions.scope(TestCa.scope()).getExtnValue().getOctets())
                .isEqualTo(TestCa.scope().toDer());
    }
}
