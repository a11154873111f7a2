package dev.writ.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.log.TilePath;
import dev.writ.core.log.TiledTree;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The log's HTTP face over a real socket and a real Jetty server. */
class LogHandlerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    static AuditLog log;
    static Server server;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        log = AuditLog.open(dir, AuditLogTest.SIGNER);
        for (int i = 0; i < 299; i++) {
            log.appendAsync(AuditLogTest.entry(i));
        }
        log.append(AuditLogTest.entry(299));
        server = new Server();
        ServerConnector c = new ServerConnector(server);
        c.setPort(0);
        c.setHost("127.0.0.1");
        server.addConnector(c);
        server.setHandler(new LogHandler(log));
        server.start();
        base = "http://127.0.0.1:" + c.getLocalPort();
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
        log.close();
    }

    static HttpResponse<byte[]> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode json(HttpResponse<byte[]> r) throws IOException {
        return JSON.readTree(r.body());
    }

    @Test
    void servesCheckpointKeyTilesAndProofs() throws Exception {
        HttpResponse<byte[]> key = get("/log/key");
        assertThat(key.statusCode()).isEqualTo(200);
        NoteVerifier v = NoteVerifier.parse(new String(key.body(), StandardCharsets.UTF_8).trim());

        HttpResponse<byte[]> cpr = get("/log/checkpoint");
        assertThat(cpr.statusCode()).isEqualTo(200);
        assertThat(cpr.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(cpr.headers().firstValue("cache-control")).hasValue("no-cache");
        Checkpoint cp = Checkpoint.verify(cpr.body(), v).checkpoint();
        assertThat(cp.size()).isEqualTo(300);

        HttpResponse<byte[]> full = get("/log/tile/0/000");
        assertThat(full.statusCode()).isEqualTo(200);
        assertThat(full.body()).hasSize(8192);
        assertThat(full.headers().firstValue("cache-control")).hasValue("public, max-age=31536000, immutable");
        assertThat(full.headers().firstValue("content-type")).hasValue("application/octet-stream");
        HttpResponse<byte[]> partial = get("/log/tile/0/001.p/44");
        assertThat(partial.statusCode()).isEqualTo(200);
        assertThat(partial.headers().firstValue("cache-control")).hasValue("no-cache");

        // A generic tlog-tiles client can recompute everything from the served resources.
        TiledTree.auditLog(cp.size(), cp.rootHash(), p -> {
            try {
                HttpResponse<byte[]> r = get("/log/" + p.path());
                if (r.statusCode() != 200) {
                    throw new IOException(p + ": " + r.statusCode());
                }
                return r.body();
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        });

        JsonNode incl = json(get("/v1/log/proof/inclusion?index=42"));
        LogReceipt r = LogReceipt.fromJson(incl);
        r.verify(AuditLogTest.entry(42), v);
        JsonNode byJti = json(get("/v1/log/proof/inclusion?jti=j42&size=100"));
        assertThat(byJti.get("index").asLong()).isEqualTo(42);
        assertThat(byJti.has("checkpoint")).isFalse();
        List<byte[]> proof = new ArrayList<>();
        byJti.get("proof").forEach(h -> proof.add(Base64.getDecoder().decode(h.asText())));
        Merkle.verifyInclusion(42, 100, Merkle.leafHash(AuditLogTest.entry(42)), proof, log.rootHash(100));

        JsonNode cons = json(get("/v1/log/proof/consistency?from=7&to=300"));
        List<byte[]> cproof = new ArrayList<>();
        cons.get("proof").forEach(h -> cproof.add(Base64.getDecoder().decode(h.asText())));
        Merkle.verifyConsistency(7, 300, cproof, log.rootHash(7), cp.rootHash());

        JsonNode entry = json(get("/v1/log/entries/5"));
        assertThat(entry.get("json").get("jti").asText()).isEqualTo("j5");
        assertThat(Base64.getDecoder().decode(entry.get("entry").asText())).isEqualTo(AuditLogTest.entry(5));
    }

    @ParameterizedTest
    @CsvSource({
        "/log/tile/0/1, 400, log.tile.malformed",
        "/log/tile/0/x000/001, 400, log.tile.malformed",
        "/log/tile/0/000.p/0, 400, log.tile.malformed",
        "/log/tile/64/000, 400, log.tile.malformed",
        "/log/tile/0/001, 404, log.not_found",
        "/log/tile/0/001.p/45, 404, log.not_found",
        "/log/tile/1/000, 404, log.not_found",
        "/log/tile/entries/002.p/1, 404, log.not_found",
        "/log/nothing, 404, log.not_found",
        "/v1/log/entries/300, 404, log.not_found",
        "/v1/log/entries/-1, 400, log.bad_request",
        "/v1/log/entries/01, 400, log.bad_request",
        "/v1/log/entries/abc, 400, log.bad_request",
        "/v1/log/proof/inclusion?index=300, 400, log.range",
        "/v1/log/proof/inclusion?index=5&size=301, 400, log.range",
        "/v1/log/proof/inclusion?index=5&size=5, 400, log.range",
        "/v1/log/proof/inclusion?index=5&size=0, 400, log.range",
        "/v1/log/proof/inclusion?index=1&jti=j1, 400, log.bad_request",
        "/v1/log/proof/inclusion, 400, log.bad_request",
        "/v1/log/proof/inclusion?index=1&index=2, 400, log.bad_request",
        "/v1/log/proof/inclusion?index=1&foo=2, 400, log.bad_request",
        "/v1/log/proof/inclusion?index=99999999999999999999, 400, log.bad_request",
        "/v1/log/proof/inclusion?jti=unknown, 404, log.not_found",
        "/v1/log/proof/consistency?from=0&to=5, 400, log.range",
        "/v1/log/proof/consistency?from=6&to=5, 400, log.range",
        "/v1/log/proof/consistency?from=1&to=301, 400, log.range",
        "/v1/log/proof/consistency?from=1, 400, log.bad_request",
        "/v1/log/proof/consistency?from=a&to=5, 400, log.bad_request",
    })
    void badInputGetsClearErrors(String path, int status, String code) throws Exception {
        HttpResponse<byte[]> r = get(path);
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(json(r).get("error").get("code").asText()).isEqualTo(code);
        assertThat(json(r).get("error").get("message").asText()).isNotBlank();
    }

    @Test
    void wrongMethodIs405AndOtherPathsAreNotHandled() throws Exception {
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/log/checkpoint"))
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).hasValue("GET, HEAD");
        assertThat(json(r).get("error").get("code").asText()).isEqualTo("log.method_not_allowed");
        assertThat(get("/elsewhere").statusCode()).isEqualTo(404);
        assertThat(new TilePath(0, 0, 256).path()).isEqualTo("tile/0/000");
    }
}
