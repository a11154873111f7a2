package dev.writ.bench.ca;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.api.WritServer;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.IssuedAgent;
import java.math.BigInteger;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;

/**
 * OCSP over real HTTP: a Writ server on loopback and closed-loop clients (Jetty's HTTP client, HTTP/1.1 keep-alive)
 * posting the same no-nonce request (the pre-signed path) for a fixed time, after 2 s of warm-up; prints responses per
 * second. Client and server share the machine, so the figure is a lower bound for the server.
 *
 * <pre>java -cp ... dev.writ.bench.ca.OcspHttpLoad [seconds] [clients]</pre>
 */
public final class OcspHttpLoad {
    private OcspHttpLoad() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        try (BenchDomain domain = new BenchDomain();
                WritServer server = domain.runtime.server("127.0.0.1", 0).start()) {
            ObjectMapper json = new ObjectMapper();
            ObjectNode request = json.createObjectNode();
            request.put("tenant", "acme");
            request.put("name", "bench");
            request.set("scope", json.readTree(BenchDomain.SCOPE));
            IssuedAgent agent = domain.runtime.agents().create(request);
            byte[] ocsp = new OCSPReqBuilder()
                    .addRequest(new CertificateID(
                            new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                            domain.runtime.domain().ca(CaName.AGENTS).certificate(),
                            new BigInteger(agent.serial(), 16)))
                    .build()
                    .getEncoded();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/ocsp/agents");
            HttpClient http = new HttpClient();
            http.setMaxConnectionsPerDestination(clients);
            http.start();
            LongAdder ok = new LongAdder();
            LongAdder failed = new LongAdder();
            long warmupEnd = System.nanoTime() + 2_000_000_000L;
            long end = warmupEnd + seconds * 1_000_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    while (System.nanoTime() < end) {
                        try {
                            ContentResponse r = http.POST(uri)
                                    .body(new BytesRequestContent("application/ocsp-request", ocsp))
                                    .send();
                            if (System.nanoTime() > warmupEnd) {
                                (r.getStatus() == 200 ? ok : failed).increment();
                            }
                        } catch (Exception e) {
                            failed.increment();
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            http.stop();
            System.out.printf(
                    "OCSP over HTTP/1.1, pre-signed path: %.0f responses/s (%d clients, %d s, %d failures)%n",
                    ok.sum() / (double) seconds, clients, seconds, failed.sum());
        }
    }
}
