package dev.writ.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.store.SqliteStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;

/**
 * A real trust domain in a temporary data directory, created by the init ceremony, opened as {@code writ serve}
 * opens it and served over a real socket on a free port.
 */
public final class TestDomain implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String PASSPHRASE = "correct horse battery staple";
    public static final String SCOPE = "{\"actions\":[\"payments.*\",\"erp.read\"],\"limits\":{\"EUR\":100000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":2}";

    public final Path dir;
    public final String adminToken;
    public final TrustRuntime runtime;
    public final WritServer server;
    public final String base;
    private final HttpClient http = HttpClient.newHttpClient();

    private TestDomain(Path dir, String adminToken, TrustRuntime runtime, WritServer server) {
        this.dir = dir;
        this.adminToken = adminToken;
        this.runtime = runtime;
        this.server = server;
        this.base = "http://127.0.0.1:" + server.port();
    }

    /** Creates a domain in {@code dir} (which must be empty or absent). */
    public static String init(Path dir) throws Exception {
        Files.createDirectories(dir);
        ObjectNode custody = CustodyConfig.software();
        SecureRandom random = new SecureRandom();
        try (KeyCustody keys = CustodyConfig.create(dir, custody, Map.of(), random);
                SqliteStore store = SqliteStore.open(dir.resolve("writ.db"))) {
            return DomainCeremony.init(
                            dir,
                            "writ.local",
                            "http://127.0.0.1:7070",
                            keys,
                            custody,
                            store,
                            PASSPHRASE.toCharArray(),
                            "acme",
                            InstantSource.system(),
                            random)
                    .bootstrapToken();
        }
    }

    public static TestDomain start(Path dir) throws Exception {
        String token = init(dir);
        return open(dir, token);
    }

    public static TestDomain open(Path dir, String token) throws Exception {
        TrustRuntime rt = TrustRuntime.open(dir, TrustRuntime.Options.defaults().withEnv(Map.of()));
        WritServer server = rt.server("127.0.0.1", 0);
        server.start();
        return new TestDomain(dir, token, rt, server);
    }

    /** A response: status and JSON body. */
    public record Resp(int status, JsonNode body, Map<String, String> headers) {
        public String errorCode() {
            return body.path("error").path("code").asText(null);
        }
    }

    public Resp call(String method, String path, String token, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        Map<String, String> h = new HashMap<>();
        r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(), v.get(0)));
        JsonNode n = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
        return new Resp(r.statusCode(), n, h);
    }

    public byte[] getBytes(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " -> " + r.statusCode());
        }
        return r.body();
    }

    /** Registers an agent in tenant acme with {@link #SCOPE}. */
    public Resp createAgent(String name) throws IOException, InterruptedException {
        return call(
                "POST",
                "/api/v1/agents",
                adminToken,
                "{\"tenant\":\"acme\",\"name\":\"" + name + "\",\"scope\":" + SCOPE + "}");
    }

    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            runtime.close();
        }
    }
}
