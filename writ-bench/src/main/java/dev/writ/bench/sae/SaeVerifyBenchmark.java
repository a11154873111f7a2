package dev.writ.bench.sae;

import dev.writ.core.nonce.InMemoryNonceStore;
import dev.writ.core.nonce.NonceStore;
import dev.writ.core.nonce.NonceStoreException;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.core.sae.VerifiedAction;
import dev.writ.server.sae.SaeSigner;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Full verification of one envelope at a PEP: parse, chain (cached), stapled OCSP (cached) and local revocation set,
 * signature, time, scope, request binding and the replay check against an in-memory nonce store. Each invocation
 * verifies a distinct envelope from a pre-signed pool; when the pool wraps, the nonce table is swapped for an empty
 * one (once per {@value #POOL} operations).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SaeVerifyBenchmark {
    static final int POOL = 20_000;

    SaeBenchFixture fixture;
    String[] envelopes;
    SaeVerifier verifier;
    SwappableNonces nonces;
    int next;

    /** A nonce store whose table can be emptied between pool rounds. */
    static final class SwappableNonces implements NonceStore {
        volatile InMemoryNonceStore delegate;
        final InstantSource clock;

        SwappableNonces(InstantSource clock) {
            this.clock = clock;
            this.delegate = new InMemoryNonceStore(clock);
        }

        @Override
        public boolean recordIfAbsent(String nonce, Instant expiresAt) throws NonceStoreException {
            return delegate.recordIfAbsent(nonce, expiresAt);
        }

        @Override
        public void close() {}
    }

    @Setup
    public void setUp() throws Exception {
        fixture = new SaeBenchFixture();
        InstantSource signClock = InstantSource.fixed(SaeBenchFixture.T0);
        SaeSigner signer = new SaeSigner(fixture.custody, signClock, new SecureRandom());
        envelopes = new String[POOL];
        for (int i = 0; i < POOL; i++) {
            envelopes[i] = signer.sign(fixture.agent, fixture.request()).compact();
        }
        InstantSource clock = InstantSource.fixed(SaeBenchFixture.T0.plusSeconds(1));
        nonces = new SwappableNonces(clock);
        verifier = SaeVerifier.builder()
                .trustAnchors(List.of(fixture.root))
                .clock(clock)
                .revocationSource(new InMemoryRevocationSource())
                .nonceStore(nonces)
                .build();
    }

    @TearDown
    public void tearDown() throws Exception {
        fixture.close();
    }

    @Benchmark
    public VerifiedAction verify() throws Exception {
        if (next == POOL) {
            next = 0;
            nonces.delegate = new InMemoryNonceStore(nonces.clock);
        }
        return verifier.verify(envelopes[next++], SaeBenchFixture.binding());
    }
}
