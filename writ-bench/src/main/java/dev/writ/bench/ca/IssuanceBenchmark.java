package dev.writ.bench.ca;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.ca.IssuedAgent;
import java.util.concurrent.TimeUnit;
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
 * Agent certificate issuance, the whole path: validation, key generation in software custody (sealed to disk), X.509
 * signing with the agents CA, and the SQLite transaction (agent, certificate, credential, event).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx512m")
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 2, time = 3)
public class IssuanceBenchmark {
    private BenchDomain domain;
    private ObjectNode request;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        domain = new BenchDomain();
        ObjectMapper json = new ObjectMapper();
        request = json.createObjectNode();
        request.put("tenant", "acme");
        request.put("name", "bench");
        request.set("scope", json.readTree(BenchDomain.SCOPE));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        domain.close();
    }

    @Benchmark
    public IssuedAgent issueAgent() throws Exception {
        return domain.runtime.agents().create(request);
    }
}
