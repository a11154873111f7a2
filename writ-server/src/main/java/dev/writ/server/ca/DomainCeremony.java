package dev.writ.server.ca;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import dev.writ.server.custody.SealedKey;
import dev.writ.server.custody.SealedSigner;
import dev.writ.server.store.CertificateRecord;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import dev.writ.server.store.StoreTx;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.RuntimeOperatorException;

/**
 * CA ceremonies: creating a trust domain ({@link #init}) and re-issuing an intermediate with the sealed root
 * ({@link #reissue}). These are the only code paths that open the root key.
 *
 * <p>Creation is all-or-nothing: on any failure the custody keys generated so far are destroyed, the sealed root file
 * and certificate files are deleted, and no database row is written.
 */
public final class DomainCeremony {
    public static final Duration ROOT_LIFETIME = Duration.ofDays(3652);
    public static final Duration INTERMEDIATE_LIFETIME = Duration.ofDays(730);
    public static final Duration RESPONDER_LIFETIME = Duration.ofDays(365);
    public static final Duration POLICY_SIGNING_LIFETIME = Duration.ofDays(90);
    public static final Duration AUDIT_SIGNING_LIFETIME = Duration.ofDays(365);
    public static final Duration ROOT_CRL_VALIDITY = Duration.ofDays(365);
    /** Trust domain names as SPIFFE allows them: lowercase letters, digits, dots, dashes and underscores. */
    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");

    private DomainCeremony() {}

    /**
     * What {@code writ init} produced.
     *
     * @param domain the trust domain (also saved as {@code domain.json})
     * @param bootstrapToken the admin operator token; shown once, stored only hashed
     */
    public record InitResult(TrustDomain domain, String bootstrapToken) {}

    /**
     * Creates a trust domain in {@code dataDir}.
     *
     * @param custody an open, empty custody for the domain's online keys
     * @param custodyConfig the custody description to persist in {@code domain.json} (no secrets)
     * @param defaultTenant a tenant to create, or null
     * @throws CaException {@code domain.exists} when the directory already holds a domain (nothing changed),
     *     {@code domain.name_invalid} for a bad trust-domain name, or an internal failure (everything undone)
     */
    public static InitResult init(
            Path dataDir,
            String trustDomain,
            String publicUrl,
            KeyCustody custody,
            ObjectNode custodyConfig,
            Store store,
            char[] passphrase,
            String defaultTenant,
            InstantSource clock,
            SecureRandom random)
            throws CaException {
        if (TrustDomain.exists(dataDir)) {
            throw CaException.conflict("domain.exists", "a trust domain already exists in " + dataDir);
        }
        if (!TRUST_DOMAIN.matcher(trustDomain).matches()) {
            throw CaException.invalid(
                    "domain.name_invalid", "trust domain must be lowercase letters, digits, '.', '-' or '_'");
        }
        if (passphrase == null || passphrase.length < 8) {
            throw CaException.invalid("root.passphrase_weak", "the root passphrase must have at least 8 characters");
        }
        PkiUrls urls = new PkiUrls(publicUrl);
        KeySpec spec = custody.defaultSpec();
        List<KeyHandle> generated = new ArrayList<>();
        List<Path> written = new ArrayList<>();
        List<CertificateRecord> records = new ArrayList<>();
        Path sealedPath = TrustDomain.sealedRootPath(dataDir);
        boolean ok = false;
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        try {
            PublicKey rootPublic;
            try {
                Files.createDirectories(sealedPath.getParent());
                rootPublic = SealedKey.generate(spec, passphrase, sealedPath, random);
            } catch (CustodyException e) {
                throw CaException.internal("cannot create the sealed root key", e);
            }
            written.add(sealedPath);
            try (SealedSigner rootKey = SealedKey.open(sealedPath, passphrase)) {
                Root root = new Root(rootPublic, rootKey);
                X509CertificateHolder rootCert = CertificateProfiles.root(
                        dn(trustDomain, "Writ Root CA"),
                        CertificateProfiles.randomSerial(random),
                        now,
                        now.plus(ROOT_LIFETIME),
                        root.publicKey(),
                        root.signer());
                records.add(record(rootCert, CaName.ROOT, "root", now));
                Map<CaName, IssuingCa> cas = new EnumMap<>(CaName.class);

                KeyHandle rootResponderKey = gen(custody, spec, "writ-ocsp-root", generated);
                X509CertificateHolder rootResponder = CertificateProfiles.ocspResponder(
                        rootCert,
                        dn(trustDomain, "Writ Root CA OCSP Responder"),
                        CertificateProfiles.randomSerial(random),
                        now,
                        now.plus(RESPONDER_LIFETIME),
                        custody.publicKey(rootResponderKey),
                        root.signer());
                records.add(record(rootResponder, CaName.ROOT, "ocsp", now));
                cas.put(CaName.ROOT, new IssuingCa(CaName.ROOT, rootCert, null, rootResponder, rootResponderKey));

                for (CaName name : List.of(CaName.AGENTS, CaName.POLICY, CaName.AUDIT)) {
                    IssuingCa ca = issueIntermediate(
                            trustDomain, name, rootCert, root.signer(), custody, spec, urls, now, random, generated);
                    records.add(record(ca.certificate(), CaName.ROOT, "intermediate", now));
                    records.add(record(ca.responderCertificate(), name, "ocsp", now));
                    cas.put(name, ca);
                }

                IssuingCa policyCa = cas.get(CaName.POLICY);
                KeyHandle policyKey = gen(custody, spec, "writ-policy-signing", generated);
                X509CertificateHolder policyCert = CertificateProfiles.signingLeaf(
                        policyCa.certificate(),
                        CaName.POLICY,
                        dn(trustDomain, "Writ Policy Signing"),
                        CertificateProfiles.randomSerial(random),
                        now,
                        now.plus(POLICY_SIGNING_LIFETIME),
                        custody.publicKey(policyKey),
                        urls,
                        new CustodySigner(custody, policyCa.key()));
                records.add(record(policyCert, CaName.POLICY, "policy-signing", now));

                IssuingCa auditCa = cas.get(CaName.AUDIT);
                KeyHandle auditKey = auditKey(custody, generated);
                X509CertificateHolder auditCert = CertificateProfiles.signingLeaf(
                        auditCa.certificate(),
                        CaName.AUDIT,
                        dn(trustDomain, "Writ Log and Decision Signing"),
                        CertificateProfiles.randomSerial(random),
                        now,
                        now.plus(AUDIT_SIGNING_LIFETIME),
                        custody.publicKey(auditKey),
                        urls,
                        new CustodySigner(custody, auditCa.key()));
                records.add(record(auditCert, CaName.AUDIT, "audit-signing", now));

                TrustDomain domain = new TrustDomain(
                        trustDomain,
                        urls.baseUrl(),
                        custodyConfig,
                        spec,
                        cas,
                        new SigningLeaf(policyCert, policyKey, CaName.POLICY),
                        new SigningLeaf(auditCert, auditKey, CaName.AUDIT));

                String token = Tokens.newOperatorToken(random);
                store.inTransaction(tx -> {
                    for (CertificateRecord r : records) {
                        tx.certificates().insert(r);
                    }
                    if (defaultTenant != null) {
                        tx.tenants().create(defaultTenant, now);
                    }
                    tx.operatorTokens().insert(Tokens.newId(random), Tokens.hash(token), "admin", "bootstrap", now);
                    writeRootCrl(dataDir, tx, rootCert, root.signer(), now);
                    return null;
                });
                written.add(TrustDomain.rootCrlPath(dataDir));
                domain.save(dataDir);
                ok = true;
                return new InitResult(domain, token);
            }
        } catch (CustodyException | RuntimeOperatorException | StoreException | IOException e) {
            throw CaException.internal("trust domain creation failed", e);
        } finally {
            if (!ok) {
                for (KeyHandle h : generated) {
                    try {
                        custody.destroy(h);
                    } catch (CustodyException ignored) {
                        // best effort: the domain was not created
                    }
                }
                for (Path p : written) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException ignored) {
                        // best effort
                    }
                }
                try {
                    Files.deleteIfExists(dataDir.resolve(TrustDomain.FILE));
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    /**
     * Re-issues an intermediate CA with a fresh custody key and a new certificate signed by the sealed root, together
     * with its OCSP responder certificate (and, for policy and audit, their signing leaves). The old intermediate
     * certificate stays valid until it expires; its key is kept so certificates it issued still verify.
     *
     * @throws CaException {@code root.passphrase} when the passphrase does not open the root, {@code ca.invalid} for
     *     the root itself
     */
    public static TrustDomain reissue(
            Path dataDir,
            CaName name,
            KeyCustody custody,
            Store store,
            char[] passphrase,
            InstantSource clock,
            SecureRandom random)
            throws CaException {
        if (name == CaName.ROOT) {
            throw CaException.invalid("ca.invalid", "the root is not re-issued; create a new trust domain");
        }
        TrustDomain domain = TrustDomain.load(dataDir);
        PkiUrls urls = new PkiUrls(domain.publicUrl());
        List<KeyHandle> generated = new ArrayList<>();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        boolean ok = false;
        try (SealedSigner rootKey = openRoot(dataDir, passphrase)) {
            ContentSigner signer = new CustodySigner(rootKey);
            X509CertificateHolder rootCert = domain.root();
            IssuingCa ca = issueIntermediate(
                    domain.name(),
                    name,
                    rootCert,
                    signer,
                    custody,
                    custody.defaultSpec(),
                    urls,
                    now,
                    random,
                    generated);
            List<CertificateRecord> records = new ArrayList<>();
            records.add(record(ca.certificate(), CaName.ROOT, "intermediate", now));
            records.add(record(ca.responderCertificate(), name, "ocsp", now));
            TrustDomain updated = domain.withCa(ca);
            if (name == CaName.POLICY || name == CaName.AUDIT) {
                SigningLeaf old = name == CaName.POLICY ? domain.policySigning() : domain.auditSigning();
                KeyHandle key = name == CaName.AUDIT
                        ? auditKey(custody, generated)
                        : gen(custody, custody.defaultSpec(), "writ-policy-signing", generated);
                X509CertificateHolder cert = CertificateProfiles.signingLeaf(
                        ca.certificate(),
                        name,
                        old.certificate().getSubject(),
                        CertificateProfiles.randomSerial(random),
                        now,
                        now.plus(name == CaName.POLICY ? POLICY_SIGNING_LIFETIME : AUDIT_SIGNING_LIFETIME),
                        custody.publicKey(key),
                        urls,
                        new CustodySigner(custody, ca.key()));
                records.add(record(cert, name, name.id() + "-signing", now));
                SigningLeaf leaf = new SigningLeaf(cert, key, name);
                updated = name == CaName.POLICY
                        ? updated.withLeaves(leaf, domain.auditSigning())
                        : updated.withLeaves(domain.policySigning(), leaf);
            }
            store.inTransaction(tx -> {
                for (CertificateRecord r : records) {
                    tx.certificates().insert(r);
                }
                writeRootCrl(dataDir, tx, rootCert, signer, now);
                return null;
            });
            updated.save(dataDir);
            ok = true;
            return updated;
        } catch (CustodyException | RuntimeOperatorException | StoreException | IOException e) {
            throw CaException.internal("re-issue failed", e);
        } finally {
            if (!ok) {
                for (KeyHandle h : generated) {
                    try {
                        custody.destroy(h);
                    } catch (CustodyException ignored) {
                        // best effort
                    }
                }
            }
        }
    }

    /** The opened root: its public key and a fresh X.509 signer per call. */
    private record Root(PublicKey publicKey, SealedSigner key) {
        ContentSigner signer() {
            return new CustodySigner(key);
        }
    }

    private static SealedSigner openRoot(Path dataDir, char[] passphrase) throws CaException {
        Path file = TrustDomain.sealedRootPath(dataDir);
        if (!Files.exists(file)) {
            throw CaException.notFound("root.missing", "the sealed root key is not in the data directory");
        }
        try {
            return SealedKey.open(file, passphrase);
        } catch (CustodyException e) {
            // Wrong passphrase and corrupt file look alike on purpose: no oracle.
            throw CaException.invalid("root.passphrase", "the passphrase does not open the sealed root key");
        }
    }

    private static IssuingCa issueIntermediate(
            String trustDomain,
            CaName name,
            X509CertificateHolder rootCert,
            ContentSigner rootSigner,
            KeyCustody custody,
            KeySpec spec,
            PkiUrls urls,
            Instant now,
            SecureRandom random,
            List<KeyHandle> generated)
            throws CustodyException, CertIOException {
        String title =
                switch (name) {
                    case AGENTS -> "Writ Agent Identity CA";
                    case POLICY -> "Writ Policy Signing CA";
                    case AUDIT -> "Writ Audit Anchoring CA";
                    case ROOT -> throw new IllegalArgumentException("root");
                };
        KeyHandle key = gen(custody, spec, "writ-ca-" + name.id(), generated);
        X509CertificateHolder cert = CertificateProfiles.intermediate(
                rootCert,
                dn(trustDomain, title),
                CertificateProfiles.randomSerial(random),
                now,
                now.plus(INTERMEDIATE_LIFETIME),
                custody.publicKey(key),
                urls,
                rootSigner);
        KeyHandle responderKey = gen(custody, spec, "writ-ocsp-" + name.id(), generated);
        X509CertificateHolder responder = CertificateProfiles.ocspResponder(
                cert,
                dn(trustDomain, title + " OCSP Responder"),
                CertificateProfiles.randomSerial(random),
                now,
                now.plus(RESPONDER_LIFETIME),
                custody.publicKey(responderKey),
                new CustodySigner(custody, key));
        return new IssuingCa(name, cert, key, responder, responderKey);
    }

    private static void writeRootCrl(
            Path dataDir, StoreTx tx, X509CertificateHolder rootCert, ContentSigner signer, Instant now)
            throws StoreException, CaException {
        BigInteger n = tx.crlNumbers().next(CaName.ROOT.id());
        byte[] crl = CrlPublisher.sign(
                rootCert,
                n,
                null,
                now,
                now.plus(ROOT_CRL_VALIDITY),
                tx.certificates().revoked(CaName.ROOT.id(), now),
                null,
                signer);
        Path file = TrustDomain.rootCrlPath(dataDir);
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, crl);
        } catch (IOException e) {
            throw CaException.internal("cannot write the root CRL", e);
        }
    }

    /**
     * The log/decision signing key. The log signs C2SP signed notes, whose key type is Ed25519, so the key is Ed25519:
     * in a PKCS#11 domain it lives in the software keystore beside the token
     * ({@link dev.writ.server.custody.Pkcs11DomainCustody}), since the JDK's PKCS#11 provider has no EdDSA. A custody
     * that cannot make Ed25519 at all falls back to its default kind, and such a domain has no audit log.
     */
    private static KeyHandle auditKey(KeyCustody custody, List<KeyHandle> generated) throws CustodyException {
        try {
            return gen(custody, KeySpec.ED25519, "writ-audit-signing", generated);
        } catch (CustodyException noEdDsa) {
            if (custody.defaultSpec() == KeySpec.ED25519) {
                throw noEdDsa;
            }
            return gen(custody, custody.defaultSpec(), "writ-audit-signing", generated);
        }
    }

    private static KeyHandle gen(KeyCustody custody, KeySpec spec, String label, List<KeyHandle> generated)
            throws CustodyException {
        KeyHandle h = custody.generate(spec, label);
        generated.add(h);
        return h;
    }

    static X500Name dn(String trustDomain, String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Writ " + trustDomain)
                .addRDN(BCStyle.CN, cn)
                .build();
    }

    static CertificateRecord record(X509CertificateHolder h, CaName issuer, String kind, Instant now) {
        return new CertificateRecord(
                h.getSerialNumber().toString(16),
                issuer.id(),
                kind,
                null,
                null,
                h.getSubject().toString(),
                h.getNotBefore().toInstant(),
                h.getNotAfter().toInstant(),
                CertificateProfiles.der(h),
                CertificateRecord.GOOD,
                null,
                null,
                now);
    }
}
