package dev.writ.bench.ca;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.IssuedAgent;
import java.math.BigInteger;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * OCSP responses per second through {@code OcspResponder.respond} (DER request in, DER response out): the pre-signed
 * path (no nonce: parse, cache hit) and the fresh path (nonce: look up status, sign with the responder key).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx512m")
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 2, time = 3)
public class OcspBenchmark {
    private BenchDomain domain;
    private byte[] cachedRequest;
    private byte[] nonceRequest;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        domain = new BenchDomain();
        ObjectMapper json = new ObjectMapper();
        ObjectNode request = json.createObjectNode();
        request.put("tenant", "acme");
        request.put("name", "bench");
        request.set("scope", json.readTree(BenchDomain.SCOPE));
        IssuedAgent agent = domain.runtime.agents().create(request);
        CertificateID id = new CertificateID(
                new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                domain.runtime.domain().ca(CaName.AGENTS).certificate(),
                new BigInteger(agent.serial(), 16));
        cachedRequest = new OCSPReqBuilder().addRequest(id).build().getEncoded();
        nonceRequest = new OCSPReqBuilder()
                .addRequest(id)
                .setRequestExtensions(new Extensions(new Extension(
                        OCSPObjectIdentifiers.id_pkix_ocsp_nonce,
                        false,
                        new DEROctetString(new byte[16]).getEncoded())))
                .build()
                .getEncoded();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        domain.close();
    }

    @Benchmark
    public byte[] preSigned() {
        return domain.runtime.ocsp().respond(CaName.AGENTS, cachedRequest);
    }

    @Benchmark
    public byte[] freshWithNonce() {
        return domain.runtime.ocsp().respond(CaName.AGENTS, nonceRequest);
    }
}
