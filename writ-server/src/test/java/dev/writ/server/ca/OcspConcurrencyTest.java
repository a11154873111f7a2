package dev.writ.server.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.server.api.TestDomain;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: staples made concurrently on cache misses must all name the issuer correctly. A digest calculator
 * shared between threads once mixed concurrent digests into wrong issuer hashes, and every verifier refused those
 * envelopes.
 */
class OcspConcurrencyTest {
    @TempDir
    Path tmp;

    @Test
    void concurrentStaplesAllCarryTheRightIssuerHash() throws Exception {
        try (TestDomain d = TestDomain.start(tmp.resolve("data"))) {
            List<X509Certificate> certs = new ArrayList<>();
            for (int i = 0; i < 96; i++) {
                String pem =
                        d.createAgent("agent-" + i).body().path("certificate").asText();
                certs.add(Pem.x509(Pem.decodeCertificates(pem).get(0)));
            }
            Set<String> issuerHashes = ConcurrentHashMap.newKeySet();
            CyclicBarrier start = new CyclicBarrier(16);
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (X509Certificate c : certs) {
                    done.add(pool.submit(() -> {
                        start.await();
                        BasicOCSPResp r = OcspResponder.basic(d.runtime.ocsp().responseFor(c));
                        issuerHashes.add(HexFormat.of()
                                .formatHex(r.getResponses()[0].getCertID().getIssuerNameHash()));
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(issuerHashes).hasSize(1);
        }
    }
}
