package dev.writ.server.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.sae.TestEnvelope;
import dev.writ.core.sae.TestPki;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/** Real servers for gateway tests: a counting upstream, a revocation publisher, and an envelope minter. */
final class GatewayFixture {

    /** One request as the upstream saw it. */
    record Seen(String method, String uri, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(java.util.Locale.ROOT));
            return v == null ? null : String.join(",", v);
        }
    }

    /** An upstream API that records every request and answers 200 with a fixed body. */
    static final class Upstream implements AutoCloseable {
        final Server server = new Server();
        final ServerConnector connector = new ServerConnector(server);
        final List<Seen> seen = new CopyOnWriteArrayList<>();

        Upstream() throws Exception {
            connector.setHost("127.0.0.1");
            server.addConnector(connector);
            server.setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) throws Exception {
                    byte[] body = Content.Source.asByteArrayAsync(request, 64 * 1024 * 1024)
                            .get();
                    Map<String, List<String>> headers = request.getHeaders().stream()
                            .collect(Collectors.groupingBy(
                                    f -> f.getLowerCaseName(),
                                    Collectors.mapping(f -> f.getValue(), Collectors.toList())));
                    seen.add(new Seen(request.getMethod(), request.getHttpURI().getPathQuery(), headers, body));
                    response.setStatus(200);
                    response.getHeaders().put("Content-Type", "text/plain");
                    response.getHeaders().put("X-Upstream", "yes");
                    response.write(true, ByteBuffer.wrap("upstream-ok".getBytes()), callback);
                    return true;
                }
            });
            server.start();
        }

        String base() {
            return "http://127.0.0.1:" + connector.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }
    }

    /** A Jetty server publishing revocations from an in-memory feed. */
    static final class Publisher implements AutoCloseable {
        final InMemoryRevocationFeed feed;
        final Server server = new Server();
        final ServerConnector connector = new ServerConnector(server);

        Publisher(int port) throws Exception {
            this(port, new InMemoryRevocationFeed());
        }

        Publisher(int port, InMemoryRevocationFeed feed) throws Exception {
            this.feed = feed;
            connector.setHost("127.0.0.1");
            connector.setPort(port);
            server.addConnector(connector);
            server.setHandler(new RevocationStreamHandler(feed, java.time.Duration.ofMillis(100)));
            server.start();
        }

        String base() {
            return "http://127.0.0.1:" + connector.getLocalPort();
        }

        int port() {
            return connector.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }
    }

    /** An envelope for {@code method url} with {@code body}, issued at {@code iat}. */
    static String envelope(TestPki pki, TestPki.Issued agent, Instant iat, String method, String url, byte[] body) {
        TestEnvelope e = TestEnvelope.standard(pki, agent, iat, pki.ocspGood(agent, iat));
        e.claims.put("sub", url);
        ObjectNode http = (ObjectNode) e.claims.get("act").get("http");
        http.put("method", method);
        http.put("url", url);
        http.put("body", HttpBinding.digestBody(body));
        return e.sign(agent.privateKey());
    }

    private GatewayFixture() {}
}
