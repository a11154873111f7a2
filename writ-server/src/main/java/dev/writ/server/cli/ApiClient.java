package dev.writ.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small JSON client for the Writ HTTP API, used by the commands that talk to a running server. */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final String token;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    ApiClient(String base, String token) {
        if (base == null) {
            throw CliError.usage("no server: pass --server URL or set WRIT_SERVER");
        }
        if (token == null || token.isBlank()) {
            throw CliError.usage("no token: pass --token or set WRIT_TOKEN");
        }
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
    }

    JsonNode call(String method, String path, JsonNode body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliError(1, "cannot reach " + base + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliError(1, "interrupted");
        } catch (IllegalArgumentException e) {
            throw CliError.usage("bad server URL " + base);
        }
        JsonNode n;
        try {
            n = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new CliError(1, "the server sent no JSON (HTTP " + r.statusCode() + ")");
        }
        if (r.statusCode() >= 400) {
            JsonNode err = n == null ? null : n.path("error");
            String msg = err == null
                    ? "HTTP " + r.statusCode()
                    : err.path("message").asText() + " (" + err.path("code").asText() + ")";
            // Refusals (401/403) mean "denied"; other 4xx are input errors; 5xx failures.
            int code = r.statusCode() == 401 || r.statusCode() == 403 || r.statusCode() >= 500 ? 1 : ExitCodes.USAGE;
            throw new CliError(code, msg);
        }
        return n;
    }
}
