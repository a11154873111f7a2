package dev.writ.server.sae;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.sae.Envelopes;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.security.auth.x500.X500Principal;

/**
 * Produces Signed Action Envelopes exactly as the envelope specification pins them: JWS compact serialisation, header
 * {@code alg typ kid x5c ocsp}, claims {@code iss sub act pol mod iat nbf exp jti ctx}, signed inside custody with the
 * agent's own key. Call it only after the policy decision allowed the action.
 *
 * <p>Thread-safe. The first signature with a key checks once that custody's public key is the certificate's key, so an
 * envelope can never name a certificate its signature does not match.
 */
public final class SaeSigner {
    private final KeyCustody custody;
    private final InstantSource clock;
    private final SecureRandom random;
    private final ConcurrentHashMap<HeaderKey, Boolean> matched = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<HeaderKey, EncodedHeader> headers = new ConcurrentHashMap<>();

    /**
     * The header depends only on the key, the certificates and the staple: encode it once per key and certificate,
     * and again whenever the staple differs (compared by content; hashing a kilobyte of staple per envelope cost more
     * than the lookup it served).
     */
    private record HeaderKey(String keyId, java.math.BigInteger serial) {}

    private record EncodedHeader(byte[] ocsp, String encoded) {}

    public SaeSigner(KeyCustody custody, InstantSource clock, SecureRandom random) {
        this.custody = Objects.requireNonNull(custody, "custody");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Signs an envelope for {@code agent}.
     *
     * @throws CustodyException when custody cannot sign, or its key is not the certificate's key
     * @throws IllegalArgumentException when the action's parameters contain floating-point numbers
     */
    public SignedEnvelope sign(SigningAgent agent, EnvelopeRequest request) throws CustodyException {
        checkKeyMatches(agent);
        ActionRequest action = request.action();
        byte[] ocsp = request.ocspResponse();
        HeaderKey hk = new HeaderKey(agent.key().id(), agent.certificate().getSerialNumber());
        EncodedHeader cachedHeader = headers.get(hk);
        String header;
        // The staple is part of the signed header: reuse an encoding only for exactly these staple bytes.
        if (cachedHeader != null && (cachedHeader.ocsp() == ocsp || Arrays.equals(cachedHeader.ocsp(), ocsp))) {
            header = cachedHeader.encoded();
        } else {
            ObjectNode h = Jws.header(agent.key(), Envelopes.TYP, List.of(agent.certificate(), agent.issuer()));
            h.put("ocsp", Base64.getEncoder().encodeToString(ocsp));
            header = Jws.encode(h);
            if (headers.size() >= 10_000) {
                headers.clear(); // keep the cache bounded
            }
            headers.put(hk, new EncodedHeader(ocsp.clone(), header));
        }

        long iat = clock.instant().getEpochSecond();
        long exp = iat + request.lifetime().toSeconds();
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        String jti = Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);

        ObjectNode claims = Jws.JSON.createObjectNode();
        claims.put("iss", agent.certificate().getSubjectX500Principal().getName(X500Principal.RFC2253));
        claims.put("sub", action.target());
        claims.set("act", actionJson(action));
        claims.put("pol", request.policyHash());
        request.model().ifPresent(m -> {
            ObjectNode mod = claims.putObject("mod");
            mod.put("digest", m.digestString());
            mod.put("name", m.name());
            mod.put("version", m.version());
            m.sbom().ifPresent(s -> mod.put("sbom", s));
        });
        claims.put("iat", iat);
        claims.put("nbf", iat);
        claims.put("exp", exp);
        claims.put("jti", jti);
        ObjectNode ctx = claims.putObject("ctx");
        ctx.put("session", request.session());
        var parents = ctx.putArray("parent_chain");
        request.parentChain().forEach(parents::add);
        ctx.put("risk", request.risk());
        ctx.put("classification", request.contextClassification().wireName());
        request.approval().ifPresent(a -> ctx.put("approval", a));

        String compact = Jws.sign(custody, agent.key(), header, claims);
        return new SignedEnvelope(
                compact, Envelopes.hash(compact), jti, Instant.ofEpochSecond(iat), Instant.ofEpochSecond(exp));
    }

    /** The {@code act} claim: name, params (integers only), classification, and http when bound to a request. */
    static ObjectNode actionJson(ActionRequest action) {
        ObjectNode act = Jws.JSON.createObjectNode();
        act.put("name", action.name());
        ObjectNode params = action.params();
        // Amounts are integer minor units; a float would be ambiguous between implementations.
        Jws.requireIntegers(params, "act.params");
        act.set("params", params);
        act.put("classification", action.classification().wireName());
        if (action.http() != null) {
            ObjectNode http = act.putObject("http");
            http.put("method", action.http().method());
            http.put("url", action.http().url());
            http.put("body", action.http().bodyDigest());
        }
        return act;
    }

    private void checkKeyMatches(SigningAgent agent) throws CustodyException {
        HeaderKey key = new HeaderKey(agent.key().id(), agent.certificate().getSerialNumber());
        if (matched.containsKey(key)) {
            return;
        }
        // An envelope whose signature does not match its x5c would be refused everywhere; refuse to make one.
        if (!Arrays.equals(
                custody.publicKey(agent.key()).getEncoded(),
                agent.certificate().getPublicKey().getEncoded())) {
            throw new CustodyException("the custody key does not match the agent certificate");
        }
        matched.put(key, Boolean.TRUE);
    }
}
