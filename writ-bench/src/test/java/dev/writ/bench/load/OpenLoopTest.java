package dev.writ.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenLoopTest {
    private Server server;
    private URI url;
    private HttpClient client;
    private final AtomicInteger seen = new AtomicInteger();
    private volatile long stallAtRequest = -1;

    @BeforeEach
    void start() throws Exception {
        server = new Server();
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        server.addConnector(c);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                int n = seen.incrementAndGet();
                if (n == stallAtRequest) {
                    Thread.sleep(300); // one slow answer, as a GC pause would give
                }
                response.setStatus(n % 100 == 0 ? 503 : 200);
                response.write(true, ByteBuffer.allocate(0), callback);
                return true;
            }
        });
        server.start();
        url = URI.create("http://127.0.0.1:" + c.getLocalPort() + "/x");
        // One connection: requests queue behind a slow one, exactly the case coordinated omission hides.
        client = Main.client(1);
    }

    @AfterEach
    void stop() throws Exception {
        client.stop();
        server.stop();
    }

    @Test
    void sendsTheOfferedRateAndCountsErrorsByStatus() throws Exception {
        OpenLoop.Result r = OpenLoop.run(
                "t",
                client,
                (c, i) -> Main.post(c, url, new byte[0]),
                200,
                500,
                Duration.ofMillis(400),
                Duration.ofSeconds(1),
                List.of());
        assertThat(r.measured()).isEqualTo(500);
        assertThat(r.ok() + r.errorCount()).isEqualTo(500);
        assertThat(r.errors()).containsOnlyKeys("http:503");
        assertThat(r.errors().get("http:503")).isBetween(4L, 6L);
        assertThat(r.latency().getTotalCount()).isEqualTo(r.ok());
        assertThat(r.achievedRate()).isBetween(400.0, 520.0);
        assertThat(seen.get()).isEqualTo(700); // warm-up requests are sent too, just not recorded
    }

    @Test
    void aStallShowsInTheLatencyOfEveryRequestQueuedBehindIt() throws Exception {
        stallAtRequest = 400; // in the measurement window (200 warm-up requests at 500/s)
        OpenLoop.Result r = OpenLoop.run(
                "t",
                client,
                (c, i) -> Main.post(c, url, new byte[0]),
                200,
                500,
                Duration.ofMillis(400),
                Duration.ofSeconds(1),
                List.of());
        // 300 ms at 500 req/s queues ~150 requests behind the slow one; measured from their intended send times, the
        // slowest waited ~300 ms and the p90 still shows the queue. A closed loop would report one slow request.
        assertThat(r.latency().getMaxValue()).isGreaterThan(250_000_000L);
        assertThat(r.p(90)).isGreaterThan(20.0);
    }
}
