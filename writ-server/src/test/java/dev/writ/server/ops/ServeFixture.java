package dev.writ.server.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.api.TestDomain;
import dev.writ.server.api.WritServer;
import dev.writ.server.cli.Main;
import dev.writ.server.cli.ServeCommand;
import dev.writ.server.demo.ProcurementPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code writ serve} run through its own command ({@code Main}), in-process on a free port, on a fresh trust domain
 * with the procurement policy active: the real server wiring, every area mounted.
 */
final class ServeFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCOPE = "{\"actions\":[\"erp.*\",\"budget.lookup\"],\"limits\":{\"EUR\":100000000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":2}";

    final String admin;
    final WritServer server;
    final String url;
    final HttpClient http = HttpClient.newHttpClient();
    private final CompletableFuture<Integer> serving;

    ServeFixture(Path data) throws Exception {
        admin = TestDomain.init(data);
        ProcurementPolicy.pushAndActivate(data, InstantSource.system(), new SecureRandom());
        CompletableFuture<WritServer> started = new CompletableFuture<>();
        ServeCommand.customizer((rt, server) -> started.complete(server));
        // Its own thread, not the common pool: a serving command blocks until stopped, and on two cores the common
        // pool has a single worker that other tests need.
        serving = new CompletableFuture<>();
        Thread t = new Thread(
                () -> serving.complete(Main.commandLine().execute("serve", "--data", data.toString(), "--port", "0")),
                "writ-serve-fixture");
        t.setDaemon(true);
        t.start();
        try {
            CompletableFuture.anyOf(started, serving).get(60, TimeUnit.SECONDS);
            if (!started.isDone()) {
                throw new IllegalStateException("writ serve exited with " + serving.get());
            }
            server = started.get();
        } finally {
            ServeCommand.customizer((rt, server) -> {});
        }
        WritServer s = server;
        String u = null;
        for (int i = 0; i < 200; i++) {
            try {
                // The customizer runs before the server starts: wait for the bound port, then for an answer.
                int port = s.port();
                u = "http://127.0.0.1:" + port;
                if (port > 0 && get(u + "/healthz").statusCode() == 200) {
                    break;
                }
            } catch (java.io.IOException notYet) {
                // the connector is not listening yet
            }
            Thread.sleep(50);
        }
        url = u;
        if (get(url + "/healthz").statusCode() != 200) {
            server.stop();
            throw new IllegalStateException("writ serve did not become healthy");
        }
    }

    HttpResponse<String> get(String absolute) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(absolute)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Registers an agent in tenant acme; returns the registration answer (with its one-time credential). */
    JsonNode agent(String name) throws Exception {
        HttpResponse<String> r = send(
                "POST",
                "/api/v1/agents",
                admin,
                "{\"tenant\":\"acme\",\"name\":\"" + name + "\",\"scope\":" + SCOPE + "}");
        if (r.statusCode() != 201) {
            throw new IllegalStateException("agent registration failed: " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** A purchase order authorize request. */
    static String purchaseOrder(long amount, String counterparty) {
        return "{\"action\":{\"name\":\"erp.purchase_order.create\",\"params\":{\"amount\":" + amount
                + ",\"currency\":\"EUR\",\"counterparty\":\"" + counterparty + "\"},\"classification\":\"internal\"},"
                + "\"target\":\"https://erp.example\"}";
    }

    @Override
    public void close() throws Exception {
        server.stop();
        serving.get(30, TimeUnit.SECONDS);
    }
}
