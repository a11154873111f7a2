package dev.writ.bench.sae;

import dev.writ.server.sae.EnvelopeRequest;
import dev.writ.server.sae.SaeSigner;
import dev.writ.server.sae.SignedEnvelope;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Signing one envelope with an Ed25519 agent key in software custody (JSON assembly, base64url, signature). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SaeSignBenchmark {
    SaeBenchFixture fixture;
    SaeSigner signer;
    EnvelopeRequest request;

    @Setup
    public void setUp() throws Exception {
        fixture = new SaeBenchFixture();
        signer = new SaeSigner(fixture.custody, InstantSource.fixed(SaeBenchFixture.T0), new SecureRandom());
        request = fixture.request();
    }

    @TearDown
    public void tearDown() throws Exception {
        fixture.close();
    }

    @Benchmark
    public SignedEnvelope sign() throws Exception {
        return signer.sign(fixture.agent, request);
    }

    /** Baseline: the custody signature alone over an envelope-sized input, to show the assembly overhead. */
    @Benchmark
    public byte[] custodySignatureOnly() throws Exception {
        return fixture.custody.sign(fixture.agent.key(), INPUT);
    }

    static final byte[] INPUT = new byte[3200];
}
