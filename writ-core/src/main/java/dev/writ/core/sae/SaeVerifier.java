package dev.writ.core.sae;

import static dev.writ.core.sae.SaeVerificationException.*;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.cert.AgentCertificates;
import dev.writ.core.cert.AgentIdentity;
import dev.writ.core.cert.CertificateProfileException;
import dev.writ.core.cert.WritOids;
import dev.writ.core.nonce.NonceStore;
import dev.writ.core.nonce.NonceStoreException;
import dev.writ.core.revocation.RevocationSource;
import dev.writ.core.scope.Scope;
import dev.writ.core.scope.ScopeViolation;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathChecker;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Verifies Signed Action Envelopes at a policy enforcement point, performing the eight checks of the envelope
 * specification in order: strict parsing, certificate chain, revocation (stapled OCSP and the local revocation set),
 * signature, time, scope, request binding, and replay (last, so a forged envelope cannot burn nonces).
 *
 * <p>Thread-safe. Successful chain validations and OCSP response checks are cached by their exact bytes, so a steady
 * stream of envelopes from the same agents pays for one signature check and a few comparisons each; everything
 * time-dependent is re-checked per envelope.
 *
 * <pre>{@code
 * SaeVerifier verifier = SaeVerifier.builder()
 *         .trustAnchors(List.of(rootCertificate))
 *         .clock(InstantSource.system())
 *         .revocationSource(localRevocations)
 *         .nonceStore(nonceStore)
 *         .build();
 * VerifiedAction ok = verifier.verify(envelope, new HttpBinding(method, url, HttpBinding.digestBody(body)));
 * }</pre>
 */
public final class SaeVerifier {

    /** Default bound on an envelope's length (characters of the compact form). */
    public static final int DEFAULT_MAX_SIZE = 32 * 1024;

    /** Default clock skew tolerated between signer and verifier. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);

    /** Default bound on the age of a stapled OCSP response at the envelope's {@code iat}. */
    public static final Duration DEFAULT_OCSP_MAX_AGE = Duration.ofHours(1);

    static final long MIN_LIFETIME = 30;
    static final long MAX_LIFETIME = 300;
    private static final int MAX_CHAIN = 4;
    private static final int MAX_CACHE = 10_000;

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    // Two values for one name make the header ambiguous between implementations.
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private final List<X509Certificate> anchors;
    private final Set<TrustAnchor> trustAnchors;
    private final long skew;
    private final InstantSource clock;
    private final RevocationSource revocation;
    private final NonceStore nonces;
    private final int maxSize;
    private final long ocspMaxAge;
    private final Set<String> audiences;
    private final ConcurrentHashMap<String, Chain> chains = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Staple> staples = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Header> headers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<Chain>> building = new ConcurrentHashMap<>();

    private SaeVerifier(Builder b) {
        this.anchors = List.copyOf(b.anchors);
        Set<TrustAnchor> ta = new HashSet<>();
        for (X509Certificate c : anchors) {
            ta.add(new TrustAnchor(c, null));
        }
        this.trustAnchors = Set.copyOf(ta);
        this.skew = b.skew.toSeconds();
        this.clock = b.clock;
        this.revocation = b.revocation;
        this.nonces = b.nonces;
        this.maxSize = b.maxSize;
        this.ocspMaxAge = b.ocspMaxAge.toSeconds();
        this.audiences = b.audiences == null ? null : Set.copyOf(b.audiences);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Verifies an envelope without a request to bind against (for a PEP that does not see the request itself).
     *
     * @throws SaeVerificationException with the reason code of the first check that failed
     */
    public VerifiedAction verify(String compact) throws SaeVerificationException {
        return verify(compact, null);
    }

    /**
     * Verifies an envelope and, when {@code actualRequest} is given, binds it to the request the PEP is about to
     * forward: method, URL and body digest must equal the envelope's {@code act.http}.
     *
     * @throws SaeVerificationException with the reason code of the first check that failed
     */
    public VerifiedAction verify(String compact, HttpBinding actualRequest) throws SaeVerificationException {
        try {
            return doVerify(compact, actualRequest);
        } catch (SaeVerificationException e) {
            throw e;
        } catch (RuntimeException e) {
            // Anything unexpected (a provider bug, an unhandled corner) is a rejection, never a crash or a pass.
            throw new SaeVerificationException(INVALID, "the envelope could not be verified", e);
        }
    }

    private VerifiedAction doVerify(String compact, HttpBinding actual) throws SaeVerificationException {
        // ---- 1. strict parse -------------------------------------------------------------------------------
        if (compact == null) {
            throw new SaeVerificationException(MALFORMED, "no envelope");
        }
        // A size cap before any decoding bounds the work an attacker can demand.
        if (compact.length() > maxSize) {
            throw new SaeVerificationException(TOO_LARGE, "the envelope exceeds " + maxSize + " characters");
        }
        int dot1 = compact.indexOf('.');
        int dot2 = dot1 < 0 ? -1 : compact.indexOf('.', dot1 + 1);
        if (dot1 <= 0 || dot2 < 0 || compact.indexOf('.', dot2 + 1) >= 0) {
            throw new SaeVerificationException(MALFORMED, "an envelope has exactly three parts");
        }
        String headerPart = compact.substring(0, dot1);
        Header cachedHeader = headers.get(headerPart);
        byte[] headerBytes = cachedHeader != null ? null : b64url(compact, 0, dot1);
        byte[] payloadBytes = b64url(compact, dot1 + 1, dot2);
        byte[] signature = b64url(compact, dot2 + 1, compact.length());
        // The header of an agent's envelopes repeats until its staple rotates; the checks below depend on its bytes
        // alone, so a header that passed them once is not decoded and parsed again.
        Header h = cachedHeader != null ? cachedHeader : parseHeader(headerBytes);
        KeyType alg = h.alg();
        String kid = h.kid();
        JsonNode x5c = h.x5c();
        String ocspB64 = h.ocspB64();

        ObjectNode claims = parseObject(payloadBytes, "payload");
        String iss = text(claims, "iss", MALFORMED);
        String sub = text(claims, "sub", MALFORMED);
        String pol = text(claims, "pol", MALFORMED);
        if (!isSha256Hex(pol)) {
            throw new SaeVerificationException(MALFORMED, "pol must be sha256: and 64 hex digits");
        }
        long iat = numericDate(claims, "iat");
        long nbf = numericDate(claims, "nbf");
        long exp = numericDate(claims, "exp");
        String jti = text(claims, "jti", MALFORMED);
        if (jti.length() < 22 || jti.length() > 128 || !isB64url(jti)) {
            throw new SaeVerificationException(MALFORMED, "jti must be at least 128 bits of base64url");
        }
        ActionRequest action = parseAction(claims.get("act"), sub);

        // ---- 2. chain ----------------------------------------------------------------------------------------
        Instant iatInstant = Instant.ofEpochSecond(iat);
        Chain chain = chain(h.chainKey(), x5c, iatInstant);
        // The certificate must be valid when the envelope was signed.
        if (iatInstant.isBefore(chain.leafNotBefore) || iatInstant.isAfter(chain.leafNotAfter)) {
            throw new SaeVerificationException(CERT_EXPIRED, "the agent certificate was not valid at iat");
        }
        for (int i = 1; i < chain.certs.size(); i++) {
            if (!validAt(chain.certs.get(i), iatInstant)) {
                throw new SaeVerificationException(CHAIN, "an issuing certificate was not valid at iat");
            }
        }
        // kid names the certificate; a mismatch means the header was assembled inconsistently.
        if (!chain.kid.equals(kid)) {
            throw new SaeVerificationException(KID, "kid does not match the agent certificate");
        }
        // The algorithm must match the certificate's key type: no algorithm confusion.
        if (chain.keyType != alg) {
            throw new SaeVerificationException(ALG, "alg does not match the agent certificate's key");
        }
        // iss names the signer; it must be the certificate's subject.
        if (!iss.equals(chain.subjectRfc4514) && !sameDn(iss, chain.subject)) {
            throw new SaeVerificationException(ISS, "iss is not the agent certificate's subject");
        }

        // ---- 3. revocation -----------------------------------------------------------------------------------
        checkLocalRevocation(chain.certs);
        Staple staple = staple(h.stapleKey(), ocspB64, chain);
        if (staple.revoked) {
            throw new SaeVerificationException(REVOKED, "the stapled OCSP response says revoked");
        }
        // The staple must speak for the moment of signing: not issued after it, not expired before it.
        if (staple.thisUpdate > iat + skew) {
            throw new SaeVerificationException(OCSP_INVALID, "the stapled OCSP response is newer than the envelope");
        }
        if ((staple.nextUpdate != Long.MIN_VALUE && iat > staple.nextUpdate + skew)
                || iat - staple.thisUpdate > ocspMaxAge) {
            throw new SaeVerificationException(OCSP_STALE, "the stapled OCSP response does not cover iat");
        }
        if (staple.responder != null) {
            if (!validAt(staple.responder, iatInstant)) {
                throw new SaeVerificationException(OCSP_INVALID, "the OCSP responder certificate was not valid");
            }
            checkLocalRevocation(List.of(staple.responder));
        }

        // ---- 4. signature ------------------------------------------------------------------------------------
        byte[] signingInput = compact.getBytes(StandardCharsets.US_ASCII);
        boolean good =
                switch (alg) {
                    case ED25519 -> JwsSignatures.verifyEd25519(chain.ed25519, signingInput, dot2, signature);
                    case P256 -> JwsSignatures.verifyEs256(chain.p256, signingInput, dot2, signature);
                };
        if (!good) {
            throw new SaeVerificationException(SIGNATURE, "the signature does not verify");
        }
        // Remembered only once a trusted chain's key signed it, so nobody can fill the cache with headers of their own.
        if (cachedHeader == null) {
            if (headers.size() >= MAX_CACHE) {
                headers.clear();
            }
            headers.put(headerPart, h);
        }

        // ---- 5. time -----------------------------------------------------------------------------------------
        // Short-lived by construction: a long-lived envelope would be a bearer token.
        if (exp - iat < MIN_LIFETIME || exp - iat > MAX_LIFETIME || nbf > exp) {
            throw new SaeVerificationException(LIFETIME, "exp - iat must be between 30 and 300 seconds");
        }
        long now = clock.instant().getEpochSecond();
        if (now < nbf - skew || now < iat - skew) {
            throw new SaeVerificationException(NOT_YET_VALID, "the envelope is not yet valid");
        }
        if (now > exp + skew) {
            throw new SaeVerificationException(EXPIRED, "the envelope has expired");
        }
        // The envelope is for one target; a PEP guarding another must not honour it.
        if (audiences != null && !audiences.contains(sub)) {
            throw new SaeVerificationException(AUDIENCE, "the envelope is for another target");
        }

        // ---- 6. scope ----------------------------------------------------------------------------------------
        try {
            chain.scope.check(action, iatInstant);
        } catch (ScopeViolation v) {
            String code = v.code() == null ? "scope.unknown" : v.code();
            throw new SaeVerificationException("sae." + code, "the action exceeds the agent's scope");
        }

        // ---- 7. request binding ------------------------------------------------------------------------------
        if (actual != null) {
            HttpBinding bound = action.http();
            // A PEP that sees a request must only forward what was authorised, byte for byte.
            if (bound == null) {
                throw new SaeVerificationException(BINDING_MISSING, "the envelope does not authorise an HTTP request");
            }
            if (!bound.method().equals(actual.method())) {
                throw new SaeVerificationException(BINDING_METHOD, "the request method differs from the envelope");
            }
            if (!bound.url().equals(actual.url())) {
                throw new SaeVerificationException(BINDING_URL, "the request URL differs from the envelope");
            }
            if (!bound.bodyDigest().equals(actual.bodyDigest())) {
                throw new SaeVerificationException(BINDING_BODY, "the request body differs from the envelope");
            }
        }

        // ---- 8. replay (last, so a forged or otherwise invalid envelope cannot burn a nonce) ------------------
        if (nonces != null) {
            boolean fresh;
            try {
                fresh = nonces.recordIfAbsent(jti, Instant.ofEpochSecond(exp + skew));
            } catch (NonceStoreException | RuntimeException e) {
                // Without a reliable answer we cannot rule out a replay.
                throw new SaeVerificationException(NONCE_STORE, "the nonce store is unavailable", e);
            }
            if (!fresh) {
                throw new SaeVerificationException(REPLAY, "the envelope was already used");
            }
        }

        return new VerifiedAction(
                compact,
                chain.identity,
                iss,
                kid,
                action,
                claims,
                pol,
                jti,
                iatInstant,
                Instant.ofEpochSecond(nbf),
                Instant.ofEpochSecond(exp));
    }

    /** A protected header that passed the parse-time checks (step 1); everything in it depends on its bytes alone. */
    private record Header(KeyType alg, String kid, JsonNode x5c, String chainKey, String ocspB64, String stapleKey) {}

    private static Header parseHeader(byte[] headerBytes) throws SaeVerificationException {
        JsonNode header = parseObject(headerBytes, "header");
        String algName = text(header, "alg", ALG);
        KeyType alg =
                switch (algName) {
                    // RFC 8037 "EdDSA" and RFC 9864's fully specified "Ed25519" both mean Ed25519 here.
                    case "EdDSA", "Ed25519" -> KeyType.ED25519;
                    case "ES256" -> KeyType.P256;
                    // Everything else, notably "none" and HMAC, is refused: no algorithm confusion.
                    default -> throw new SaeVerificationException(ALG, "unsupported algorithm");
                };
        JsonNode typ = header.get("typ");
        // Explicit typing keeps other JWTs (ID tokens, denial records) from passing as envelopes.
        if (typ == null
                || !typ.isTextual()
                || !(typ.textValue().equalsIgnoreCase(Envelopes.TYP)
                        || typ.textValue().equalsIgnoreCase("application/" + Envelopes.TYP))) {
            throw new SaeVerificationException(TYP, "typ must be sae+jwt");
        }
        // We implement no JWS extensions, so any critical one is one we do not understand (RFC 7515 §4.1.11).
        if (header.has("crit")) {
            throw new SaeVerificationException(CRIT, "unsupported critical header parameter");
        }
        String kid = text(header, "kid", MALFORMED);
        JsonNode x5c = header.get("x5c");
        if (x5c == null || !x5c.isArray() || x5c.isEmpty() || x5c.size() > MAX_CHAIN) {
            throw new SaeVerificationException(MALFORMED, "x5c must hold 1 to " + MAX_CHAIN + " certificates");
        }
        StringBuilder chainKey = new StringBuilder(2048);
        for (JsonNode c : x5c) {
            if (!c.isTextual()) {
                throw new SaeVerificationException(MALFORMED, "x5c entries are strings");
            }
            chainKey.append(c.textValue()).append(',');
        }
        String ocspB64 = text(header, "ocsp", MALFORMED);
        return new Header(alg, kid, x5c, chainKey.toString(), ocspB64, kid + '|' + ocspB64);
    }

    // ---- parsing helpers ---------------------------------------------------------------------------------------

    /** Strict base64url without padding: alphabet only, a possible length, zero unused trailing bits. */
    static byte[] b64url(String s, int from, int to) throws SaeVerificationException {
        int len = to - from;
        if (len == 0 || len % 4 == 1) {
            throw new SaeVerificationException(MALFORMED, "a part is not valid base64url");
        }
        for (int i = from; i < to; i++) {
            if (b64Value(s.charAt(i)) < 0) {
                throw new SaeVerificationException(MALFORMED, "a part is not valid base64url");
            }
        }
        // Non-zero unused bits would give one signature several encodings (a mutated envelope that verifies).
        int last = b64Value(s.charAt(to - 1));
        if ((len % 4 == 2 && (last & 0x0f) != 0) || (len % 4 == 3 && (last & 0x03) != 0)) {
            throw new SaeVerificationException(MALFORMED, "a part is not canonical base64url");
        }
        return Base64.getUrlDecoder().decode(s.substring(from, to));
    }

    private static int b64Value(char c) {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    }

    private static boolean isB64url(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (b64Value(s.charAt(i)) < 0) return false;
        }
        return true;
    }

    private static boolean isSha256Hex(String s) {
        if (s.length() != 71 || !s.startsWith("sha256:")) return false;
        for (int i = 7; i < 71; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        }
        return true;
    }

    private static ObjectNode parseObject(byte[] bytes, String what) throws SaeVerificationException {
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (IOException e) {
            // Includes duplicate member names (STRICT_DUPLICATE_DETECTION) and trailing garbage.
            throw new SaeVerificationException(MALFORMED, "the " + what + " is not a valid JSON object");
        }
        if (n == null || !n.isObject()) {
            throw new SaeVerificationException(MALFORMED, "the " + what + " is not a JSON object");
        }
        return (ObjectNode) n;
    }

    private static String text(JsonNode obj, String field, String reason) throws SaeVerificationException {
        JsonNode n = obj.get(field);
        if (n == null || !n.isTextual() || n.textValue().isEmpty()) {
            throw new SaeVerificationException(reason, field + " is missing or not a string");
        }
        return n.textValue();
    }

    private static long numericDate(JsonNode claims, String field) throws SaeVerificationException {
        JsonNode n = claims.get(field);
        // Integral seconds only: a fractional or huge date is a malformed envelope, not something to round.
        if (n == null
                || !n.isIntegralNumber()
                || !n.canConvertToLong()
                || n.longValue() < 0
                || n.longValue() > 253402300799L) {
            throw new SaeVerificationException(MALFORMED, field + " must be a NumericDate in whole seconds");
        }
        return n.longValue();
    }

    private static ActionRequest parseAction(JsonNode act, String sub) throws SaeVerificationException {
        if (act == null || !act.isObject()) {
            throw new SaeVerificationException(MALFORMED, "act must be an object");
        }
        String name = text(act, "name", MALFORMED);
        JsonNode params = act.get("params");
        if (params == null || !params.isObject()) {
            throw new SaeVerificationException(MALFORMED, "act.params must be an object");
        }
        Classification cls;
        try {
            cls = Classification.fromWire(text(act, "classification", MALFORMED));
        } catch (IllegalArgumentException e) {
            throw new SaeVerificationException(MALFORMED, "act.classification is unknown");
        }
        HttpBinding http = null;
        JsonNode h = act.get("http");
        if (h != null) {
            if (!h.isObject()) {
                throw new SaeVerificationException(MALFORMED, "act.http must be an object");
            }
            http = new HttpBinding(text(h, "method", MALFORMED), text(h, "url", MALFORMED), text(h, "body", MALFORMED));
        }
        return new ActionRequest(name, sub, (ObjectNode) params, cls, http);
    }

    private static boolean sameDn(String dn, X500Principal subject) {
        try {
            return new X500Principal(dn).equals(subject);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean validAt(X509Certificate c, Instant t) {
        return !t.isBefore(c.getNotBefore().toInstant())
                && !t.isAfter(c.getNotAfter().toInstant());
    }

    private void checkLocalRevocation(List<X509Certificate> certs) throws SaeVerificationException {
        for (X509Certificate c : certs) {
            boolean revoked;
            try {
                revoked = revocation.isRevoked(c.getIssuerX500Principal(), c.getSerialNumber());
            } catch (RuntimeException e) {
                // Unknown revocation state is not "good".
                throw new SaeVerificationException(
                        REVOCATION_UNAVAILABLE, "the local revocation set is unavailable", e);
            }
            if (revoked) {
                throw new SaeVerificationException(REVOKED, "a certificate of the chain has been revoked");
            }
        }
    }

    // ---- chain ------------------------------------------------------------------------------------------------

    enum KeyType {
        ED25519,
        P256
    }

    /** A validated chain: everything about it that does not depend on time. */
    private static final class Chain {
        List<X509Certificate> certs;
        X509Certificate leaf;
        X509Certificate issuer;
        Instant leafNotBefore;
        Instant leafNotAfter;
        String kid;
        KeyType keyType;
        Ed25519PublicKeyParameters ed25519;
        ECPublicKeyParameters p256;
        X500Principal subject;
        String subjectRfc4514;
        String agentId;
        AgentIdentity identity;
        Scope scope;
    }

    /**
     * The validated chain for {@code key}, built once: concurrent first uses of a new chain wait for one validation
     * (single flight per key) instead of each running PKIX. A follower whose leader failed validates for itself, since
     * the failure may belong to the leader's {@code iat}.
     */
    private Chain chain(String key, JsonNode x5c, Instant iat) throws SaeVerificationException {
        Chain cached = chains.get(key);
        if (cached != null) {
            return cached;
        }
        CompletableFuture<Chain> mine = new CompletableFuture<>();
        CompletableFuture<Chain> leader = building.putIfAbsent(key, mine);
        if (leader != null) {
            try {
                return leader.join();
            } catch (RuntimeException leaderFailed) {
                return buildAndCache(key, x5c, iat);
            }
        }
        try {
            Chain c = buildAndCache(key, x5c, iat);
            mine.complete(c);
            return c;
        } catch (Throwable t) {
            mine.completeExceptionally(t);
            throw t;
        } finally {
            building.remove(key, mine);
        }
    }

    private Chain buildAndCache(String key, JsonNode x5c, Instant iat) throws SaeVerificationException {
        Chain c = buildChain(x5c, iat);
        if (chains.size() >= MAX_CACHE) {
            chains.clear();
        }
        chains.put(key, c);
        return c;
    }

    private Chain buildChain(JsonNode x5c, Instant iat) throws SaeVerificationException {
        List<X509Certificate> certs = new ArrayList<>();
        List<byte[]> ders = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (JsonNode n : x5c) {
                byte[] der = Base64.getDecoder().decode(n.textValue());
                ders.add(der);
                certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new SaeVerificationException(MALFORMED, "x5c holds an undecodable certificate");
        }
        Chain c = new Chain();
        c.certs = List.copyOf(certs);
        c.leaf = certs.get(0);
        c.leafNotBefore = c.leaf.getNotBefore().toInstant();
        c.leafNotAfter = c.leaf.getNotAfter().toInstant();
        c.kid = Envelopes.kid(ders.get(0));
        if (iat.isBefore(c.leafNotBefore) || iat.isAfter(c.leafNotAfter)) {
            throw new SaeVerificationException(CERT_EXPIRED, "the agent certificate was not valid at iat");
        }

        // PKIX path validation to a configured anchor; a trailing x5c entry equal to an anchor is dropped.
        List<X509Certificate> path = new ArrayList<>(certs);
        if (path.size() > 1 && anchors.contains(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        try {
            PKIXParameters params = new PKIXParameters(trustAnchors);
            params.setRevocationEnabled(false); // revocation is step 3: staple plus local set
            params.setDate(Date.from(iat));
            params.addCertPathChecker(new WritExtensionChecker());
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (CertPathValidatorException e) {
            throw new SaeVerificationException(CHAIN, "the certificate chain does not lead to a trust anchor");
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new SaeVerificationException(CHAIN, "the certificate chain cannot be validated");
        }
        c.issuer = certs.size() > 1 ? certs.get(1) : issuerAnchor(c.leaf);

        X509Certificate leaf = c.leaf;
        // The agent profile (key usage, EKU, SPIFFE ID, critical scope): a certificate that is not an agent
        // certificate cannot sign actions, whatever chain it has. A scope that cannot be read permits nothing.
        try {
            c.identity = AgentCertificates.parse(leaf);
        } catch (CertificateProfileException e) {
            String reason = e.code() != null && e.code().startsWith("cert.profile.scope_invalid")
                    ? SCOPE_MALFORMED
                    : CERT_PROFILE;
            throw new SaeVerificationException(reason, "the agent certificate does not follow the agent profile");
        }
        c.agentId = c.identity.spiffeId().toString();
        c.scope = c.identity.scope();

        // The key: Ed25519 or P-256, nothing else.
        try {
            SubjectPublicKeyInfo spki =
                    SubjectPublicKeyInfo.getInstance(leaf.getPublicKey().getEncoded());
            var algId = spki.getAlgorithm().getAlgorithm();
            if (algId.equals(EdECObjectIdentifiers.id_Ed25519)) {
                c.keyType = KeyType.ED25519;
                c.ed25519 =
                        new Ed25519PublicKeyParameters(spki.getPublicKeyData().getBytes());
            } else if (algId.equals(X9ObjectIdentifiers.id_ecPublicKey)
                    && SECObjectIdentifiers.secp256r1.equals(spki.getAlgorithm().getParameters())) {
                c.keyType = KeyType.P256;
                AsymmetricKeyParameter k = PublicKeyFactory.createKey(spki);
                c.p256 = (ECPublicKeyParameters) k;
            } else {
                throw new SaeVerificationException(ALG, "the agent key is neither Ed25519 nor P-256");
            }
        } catch (IOException | RuntimeException e) {
            throw new SaeVerificationException(CERT_PROFILE, "the agent public key cannot be read");
        }
        c.subject = leaf.getSubjectX500Principal();
        c.subjectRfc4514 = c.subject.getName(X500Principal.RFC2253);

        return c;
    }

    private X509Certificate issuerAnchor(X509Certificate leaf) throws SaeVerificationException {
        for (X509Certificate a : anchors) {
            if (a.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                return a;
            }
        }
        throw new SaeVerificationException(CHAIN, "the issuing certificate is unknown");
    }

    /** Tells PKIX that Writ's critical extensions on the leaf are understood (they are checked by Writ). */
    private static final class WritExtensionChecker extends PKIXCertPathChecker {
        @Override
        public void init(boolean forward) {}

        @Override
        public boolean isForwardCheckingSupported() {
            return true;
        }

        @Override
        public Set<String> getSupportedExtensions() {
            return Set.of(WritOids.SCOPE.getId());
        }

        @Override
        public void check(Certificate cert, Collection<String> unresolvedCritExts) {
            unresolvedCritExts.remove(WritOids.SCOPE.getId());
        }
    }

    // ---- OCSP staple -------------------------------------------------------------------------------------------

    /** A stapled OCSP response whose signature and certificate binding were checked. Times in epoch seconds. */
    private static final class Staple {
        boolean revoked;
        long thisUpdate;
        long nextUpdate = Long.MIN_VALUE;
        X509Certificate responder; // null when signed by the issuing CA itself
    }

    private Staple staple(String key, String b64, Chain chain) throws SaeVerificationException {
        Staple cached = staples.get(key);
        if (cached != null) {
            return cached;
        }
        Staple s = checkStaple(b64, chain);
        if (staples.size() >= MAX_CACHE) {
            staples.clear();
        }
        staples.put(key, s);
        return s;
    }

    private static Staple checkStaple(String b64, Chain chain) throws SaeVerificationException {
        try {
            OCSPResp resp = new OCSPResp(Base64.getDecoder().decode(b64));
            if (resp.getStatus() != OCSPResp.SUCCESSFUL || !(resp.getResponseObject() instanceof BasicOCSPResp basic)) {
                throw new SaeVerificationException(OCSP_INVALID, "the stapled OCSP response is not a success");
            }
            X509CertificateHolder issuer = new X509CertificateHolder(chain.issuer.getEncoded());
            DigestCalculatorProvider digests =
                    new JcaDigestCalculatorProviderBuilder().setProvider(BC).build();
            BigInteger serial = chain.leaf.getSerialNumber();
            SingleResp single = null;
            for (SingleResp r : basic.getResponses()) {
                // The response must be about this certificate from this issuer.
                if (r.getCertID().getSerialNumber().equals(serial)
                        && r.getCertID().matchesIssuer(issuer, digests)) {
                    single = r;
                    break;
                }
            }
            if (single == null) {
                throw new SaeVerificationException(
                        OCSP_INVALID, "the stapled OCSP response is for another certificate");
            }
            Staple s = new Staple();
            // Signed by the issuing CA itself, or by a responder it delegated with id-kp-OCSPSigning (RFC 6960
            // §4.2.2.2).
            var verifiers = new JcaContentVerifierProviderBuilder().setProvider(BC);
            if (!basic.isSignatureValid(verifiers.build(issuer))) {
                X509CertificateHolder responder = null;
                for (X509CertificateHolder h : basic.getCerts()) {
                    if (h.getIssuer().equals(issuer.getSubject())
                            && h.isSignatureValid(verifiers.build(issuer))
                            && h.getExtensions() != null
                            && org.bouncycastle.asn1.x509.ExtendedKeyUsage.fromExtensions(h.getExtensions()) != null
                            && org.bouncycastle.asn1.x509.ExtendedKeyUsage.fromExtensions(h.getExtensions())
                                    .hasKeyPurposeId(KeyPurposeId.id_kp_OCSPSigning)
                            && basic.isSignatureValid(verifiers.build(h))) {
                        responder = h;
                        break;
                    }
                }
                if (responder == null) {
                    throw new SaeVerificationException(
                            OCSP_INVALID, "the stapled OCSP response is not signed by the CA or its responder");
                }
                s.responder = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(responder.getEncoded()));
            }
            CertificateStatus status = single.getCertStatus();
            if (status == CertificateStatus.GOOD) {
                s.revoked = false;
            } else if (status instanceof RevokedStatus) {
                s.revoked = true;
            } else {
                // "unknown" is not "good".
                throw new SaeVerificationException(OCSP_INVALID, "the stapled OCSP response does not say good");
            }
            s.thisUpdate = single.getThisUpdate().toInstant().getEpochSecond();
            if (single.getNextUpdate() != null) {
                s.nextUpdate = single.getNextUpdate().toInstant().getEpochSecond();
            }
            return s;
        } catch (SaeVerificationException e) {
            throw e;
        } catch (Exception e) {
            throw new SaeVerificationException(OCSP_INVALID, "the stapled OCSP response cannot be checked");
        }
    }

    // ---- builder -----------------------------------------------------------------------------------------------

    /** Named settings; {@link #build()} checks that every required one was given. */
    public static final class Builder {
        private List<X509Certificate> anchors;
        private Duration skew = DEFAULT_CLOCK_SKEW;
        private InstantSource clock;
        private RevocationSource revocation;
        private NonceStore nonces;
        private boolean replayCheckDisabled;
        private int maxSize = DEFAULT_MAX_SIZE;
        private Duration ocspMaxAge = DEFAULT_OCSP_MAX_AGE;
        private Collection<String> audiences;

        private Builder() {}

        /** The certificates envelopes must chain to (typically the root CA, or the agents intermediate). Required. */
        public Builder trustAnchors(Collection<X509Certificate> anchors) {
            Objects.requireNonNull(anchors, "anchors");
            if (anchors.isEmpty()) {
                throw new IllegalArgumentException("at least one trust anchor is required");
            }
            this.anchors = List.copyOf(anchors);
            return this;
        }

        /** Tolerated clock difference, 0 to 5 minutes (default 30 s). */
        public Builder clockSkew(Duration skew) {
            Objects.requireNonNull(skew, "skew");
            if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("clock skew must be between 0 and 5 minutes");
            }
            this.skew = skew;
            return this;
        }

        /** The clock that says what "now" is. Required. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The locally pushed revocation set. Required. */
        public Builder revocationSource(RevocationSource revocation) {
            this.revocation = Objects.requireNonNull(revocation, "revocation");
            return this;
        }

        /** Where {@code jti}s are recorded. Required unless {@link #withoutReplayCheck()} is called. */
        public Builder nonceStore(NonceStore nonces) {
            this.nonces = Objects.requireNonNull(nonces, "nonces");
            return this;
        }

        /**
         * Skips the replay check: only for offline inspection (for example {@code writ verify}), never at a PEP that
         * executes actions.
         */
        public Builder withoutReplayCheck() {
            this.replayCheckDisabled = true;
            return this;
        }

        /** The largest envelope accepted, in characters (default 32 KiB; 1 KiB to 1 MiB). */
        public Builder maxSize(int chars) {
            if (chars < 1024 || chars > 1024 * 1024) {
                throw new IllegalArgumentException("max size must be between 1 KiB and 1 MiB");
            }
            this.maxSize = chars;
            return this;
        }

        /** The oldest stapled OCSP response accepted, measured at {@code iat} (default 1 h). */
        public Builder ocspMaxAge(Duration maxAge) {
            Objects.requireNonNull(maxAge, "maxAge");
            if (maxAge.isNegative() || maxAge.isZero() || maxAge.compareTo(Duration.ofDays(7)) > 0) {
                throw new IllegalArgumentException("OCSP max age must be positive and at most 7 days");
            }
            this.ocspMaxAge = maxAge;
            return this;
        }

        /** Accept only envelopes whose {@code sub} is one of these targets (default: any; the caller checks). */
        public Builder audiences(Collection<String> audiences) {
            Objects.requireNonNull(audiences, "audiences");
            if (audiences.isEmpty()) {
                throw new IllegalArgumentException("audiences must not be empty");
            }
            this.audiences = List.copyOf(audiences);
            return this;
        }

        /**
         * @throws IllegalStateException when a required setting is missing
         */
        public SaeVerifier build() {
            if (anchors == null) throw new IllegalStateException("trust anchors are required");
            if (clock == null) throw new IllegalStateException("a clock is required");
            if (revocation == null) throw new IllegalStateException("a revocation source is required");
            if (nonces == null && !replayCheckDisabled) {
                throw new IllegalStateException("a nonce store is required (or withoutReplayCheck())");
            }
            if (nonces != null && replayCheckDisabled) {
                throw new IllegalStateException("nonceStore and withoutReplayCheck() exclude each other");
            }
            return new SaeVerifier(this);
        }
    }
}
