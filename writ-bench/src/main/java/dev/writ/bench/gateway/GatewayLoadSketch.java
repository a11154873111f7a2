package dev.writ.bench.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.cert.AgentExtensions;
import dev.writ.core.cert.SpiffeId;
import dev.writ.core.nonce.FileNonceStore;
import dev.writ.core.nonce.InMemoryNonceStore;
import dev.writ.core.nonce.NonceStore;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.Envelopes;
import dev.writ.core.scope.Scope;
import dev.writ.server.gateway.Gateway;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.security.auth.x500.X500Principal;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * Added latency of gateway enforcement: the same POST (a small JSON body) is sent at a fixed offered rate straight to
 * an upstream and then through the enforcing gateway (full envelope verification: chain, stapled OCSP, signature,
 * time, scope, request binding, replay in the file nonce store). Latency is measured from each request's
 * <em>scheduled</em> start, so queueing is not hidden (no coordinated omission). Prints p50/p99/p99.9 of both runs.
 *
 * <p>Usage: {@code GatewayLoadSketch [rate=3000] [seconds=5] [gatewayThreads=200] [file|memory]} (the nonce store). Each envelope is minted ahead of the run (fresh
 * {@code jti}); the gateway's clock is pinned to the envelopes' issue time.
 */
public final class GatewayLoadSketch {
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final BouncyCastleProvider BC = new BouncyCastleProvider();
    static final byte[] BODY =
            "{\"amount\":12500,\"currency\":\"EUR\",\"to\":\"vendor-y\"}".getBytes(StandardCharsets.UTF_8);
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private GatewayLoadSketch() {}

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        boolean memoryNonces = args.length > 3 && args[3].equals("memory");
        Pki pki = new Pki();
        Server upstream = upstream();
        String upBase = "http://127.0.0.1:" + ((ServerConnector) upstream.getConnectors()[0]).getLocalPort();
        Path dir = Files.createTempDirectory("writ-gateway-bench");
        InstantSource clock = InstantSource.fixed(T0.plusSeconds(5));
        try (NonceStore nonces = memoryNonces
                        ? new InMemoryNonceStore(clock)
                        : FileNonceStore.open(dir.resolve("nonces"), clock, FileNonceStore.Durability.WRITE);
                Gateway gateway = Gateway.builder()
                        .upstream(URI.create(upBase))
                        .listen(new InetSocketAddress("127.0.0.1", 0))
                        .trustAnchors(List.of(pki.root))
                        .nonceStore(nonces)
                        .revocationSource(new InMemoryRevocationSource())
                        .clock(clock)
                        .maxThreads(threads)
                        .build()
                        .start()) {
            HttpClient client = new HttpClient();
            client.setMaxConnectionsPerDestination(256);
            // Queue rather than fail when the target falls behind: the queueing shows up in the latency.
            client.setMaxRequestsQueuedPerDestination(1 << 20);
            client.start();
            String url = upBase + "/v1/transfers";
            int warm = rate; // one second of warm-up per run
            int total = rate * seconds;
            String[] envelopes = new String[2 * (warm + total)];
            for (int i = 0; i < envelopes.length; i++) {
                envelopes[i] = pki.envelope(url);
            }
            // Warm-up (not recorded) completes before the measured run starts, so neither start-up cost (JIT, the
            // verifier's first chain and staple checks) nor its backlog is counted: this measures the steady state.
            run(client, url, null, rate, warm);
            Histogram direct = run(client, url, null, rate, total);
            run(client, gateway.uri() + "/v1/transfers", envelopes, rate, warm);
            Histogram enforced = run(client, gateway.uri() + "/v1/transfers", envelopes, rate, total);
            System.out.printf(
                    "offered %d req/s for %d s (after 1 s warm-up), POST %d-byte body%n", rate, seconds, BODY.length);
            print("direct  ", direct);
            print("gateway ", enforced);
            System.out.printf(
                    "added   : p50 %.3f ms  p99 %.3f ms%n",
                    (enforced.getValueAtPercentile(50) - direct.getValueAtPercentile(50)) / 1e6,
                    (enforced.getValueAtPercentile(99) - direct.getValueAtPercentile(99)) / 1e6);
            client.stop();
        } finally {
            upstream.stop();
        }
    }

    static void print(String label, Histogram h) {
        System.out.printf(
                "%s: n=%d p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms%n",
                label,
                h.getTotalCount(),
                h.getValueAtPercentile(50) / 1e6,
                h.getValueAtPercentile(99) / 1e6,
                h.getValueAtPercentile(99.9) / 1e6,
                h.getMaxValue() / 1e6);
    }

    static int next;

    /** Sends {@code total} requests at {@code rate} and records their latency from the scheduled start. */
    static Histogram run(HttpClient client, String url, String[] envelopes, int rate, int total) throws Exception {
        Recorder recorder = new Recorder(3);
        AtomicLong failures = new AtomicLong();
        CountDownLatch done = new CountDownLatch(total);
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 10_000_000L;
        for (int i = 0; i < total; i++) {
            long scheduled = start + i * interval;
            long wait;
            while ((wait = scheduled - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            var req = client.POST(url).body(new BytesRequestContent("application/json", BODY));
            if (envelopes != null) {
                req.headers(h -> h.put(Gateway.SAE_HEADER, envelopes[next++]));
            }
            req.send(result -> {
                if (result.isFailed() || result.getResponse().getStatus() != 200) {
                    if (failures.incrementAndGet() == 1) {
                        System.out.println("first failure: "
                                + (result.isFailed()
                                        ? String.valueOf(result.getFailure())
                                        : "HTTP " + result.getResponse().getStatus()));
                    }
                } else {
                    recorder.recordValue(System.nanoTime() - scheduled);
                }
                done.countDown();
            });
        }
        done.await();
        if (failures.get() > 0) {
            System.out.println("failures: " + failures.get() + " (" + url + ")");
        }
        return recorder.getIntervalHistogram();
    }

    static Server upstream() throws Exception {
        Server server = new Server();
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        server.addConnector(c);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Source.consumeAll(
                        request,
                        Callback.from(
                                () -> {
                                    response.setStatus(200);
                                    response.write(
                                            true, ByteBuffer.wrap("ok".getBytes(StandardCharsets.US_ASCII)), callback);
                                },
                                callback::failed));
                return true;
            }
        });
        server.start();
        return server;
    }

    /** A throwaway PKI: root, agents intermediate, delegated OCSP responder, one agent whose key the bench holds. */
    static final class Pki {
        // Bouncy Castle's Ed25519: the load generator shares the cores with what it measures, so it signs cheaply.
        private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
        final X509Certificate root;
        final X509Certificate intermediate;
        final X509Certificate agent;
        final PrivateKey agentKey;
        final byte[] ocsp;
        final SecureRandom random = new SecureRandom();

        Pki() throws Exception {
            KeyPair rk = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
            KeyPair ik = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
            KeyPair ok = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
            KeyPair ak = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
            X500Name rootName = new X500Name("CN=Bench Root");
            X500Name intName = new X500Name("CN=Bench Agents CA");
            root = cert(
                    rootName,
                    rootName,
                    rk.getPublic(),
                    rk.getPrivate(),
                    List.of(
                            new Extension(Extension.basicConstraints, true, new BasicConstraints(true).getEncoded()),
                            new Extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign).getEncoded())));
            intermediate = cert(
                    intName,
                    rootName,
                    ik.getPublic(),
                    rk.getPrivate(),
                    List.of(
                            new Extension(Extension.basicConstraints, true, new BasicConstraints(0).getEncoded()),
                            new Extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign).getEncoded())));
            X509Certificate responder = cert(
                    new X500Name("CN=Bench OCSP"),
                    intName,
                    ok.getPublic(),
                    ik.getPrivate(),
                    List.of(new Extension(
                            Extension.extendedKeyUsage,
                            false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning).getEncoded())));
            Scope scope = Scope.parseJson("{\"actions\":[\"payments.*\"],\"limits\":{\"EUR\":100000000},"
                    + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"restricted\","
                    + "\"delegation\":0}");
            agent = cert(
                    AgentExtensions.subject("bench-bot", "acme"),
                    intName,
                    ak.getPublic(),
                    ik.getPrivate(),
                    AgentExtensions.forAgent(
                            SpiffeId.parse("spiffe://bench.test/tenant/acme/agent/b-1"), scope, Optional.empty()));
            agentKey = ak.getPrivate();
            CertificateID id = new CertificateID(
                    new JcaDigestCalculatorProviderBuilder()
                            .setProvider(BC)
                            .build()
                            .get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(intermediate),
                    agent.getSerialNumber());
            BasicOCSPRespBuilder b =
                    new BasicOCSPRespBuilder(new RespID(new JcaX509CertificateHolder(responder).getSubject()));
            b.addResponse(
                    id,
                    CertificateStatus.GOOD,
                    Date.from(T0.minusSeconds(60)),
                    Date.from(T0.plus(Duration.ofHours(1))));
            ocsp = new OCSPRespBuilder()
                    .build(
                            OCSPRespBuilder.SUCCESSFUL,
                            b.build(
                                    new JcaContentSignerBuilder("Ed25519")
                                            .setProvider(BC)
                                            .build(ok.getPrivate()),
                                    new org.bouncycastle.cert.X509CertificateHolder[] {
                                        new JcaX509CertificateHolder(responder)
                                    },
                                    Date.from(T0.minusSeconds(60))))
                    .getEncoded();
        }

        /** A fresh envelope for {@code POST url} with {@link #BODY}, issued at T0. */
        String envelope(String url) throws Exception {
            ObjectMapper json = new ObjectMapper();
            ObjectNode header = json.createObjectNode();
            header.put("alg", "EdDSA");
            header.put("typ", "sae+jwt");
            header.put("kid", Envelopes.kid(agent.getEncoded()));
            header.putArray("x5c")
                    .add(Base64.getEncoder().encodeToString(agent.getEncoded()))
                    .add(Base64.getEncoder().encodeToString(intermediate.getEncoded()));
            header.put("ocsp", Base64.getEncoder().encodeToString(ocsp));
            ObjectNode claims = json.createObjectNode();
            claims.put("iss", agent.getSubjectX500Principal().getName(X500Principal.RFC2253));
            claims.put("sub", url);
            ObjectNode act = claims.putObject("act");
            act.put("name", "payments.transfer");
            ObjectNode params = act.putObject("params");
            params.put("amount", 12500);
            params.put("currency", "EUR");
            params.put("counterparty", "vendor-y");
            act.put("classification", "internal");
            ObjectNode http = act.putObject("http");
            http.put("method", "POST");
            http.put("url", url);
            http.put("body", HttpBinding.digestBody(BODY));
            claims.put("pol", "sha256:" + "ab".repeat(32));
            claims.put("iat", T0.getEpochSecond());
            claims.put("nbf", T0.getEpochSecond());
            claims.put("exp", T0.getEpochSecond() + 120);
            byte[] jti = new byte[16];
            random.nextBytes(jti);
            claims.put("jti", B64URL.encodeToString(jti));
            String input = B64URL.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                    + B64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
            Signature s = Signature.getInstance("Ed25519", BC);
            s.initSign(agentKey);
            s.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + B64URL.encodeToString(s.sign());
        }

        private static X509Certificate cert(
                X500Name subject, X500Name issuer, PublicKey key, PrivateKey signer, List<Extension> exts)
                throws Exception {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    issuer,
                    new BigInteger(128, new SecureRandom()).setBit(127),
                    Date.from(T0.minus(Duration.ofHours(1))),
                    Date.from(T0.plus(Duration.ofHours(24))),
                    subject,
                    key);
            for (Extension e : exts) {
                b.addExtension(e);
            }
            byte[] der = b.build(new JcaContentSignerBuilder("Ed25519")
                            .setProvider(BC)
                            .build(signer))
                    .getEncoded();
            return (X509Certificate)
                    CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        }
    }
}
