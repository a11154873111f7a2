package dev.writ.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.json.CanonicalJson;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.LogVerificationException;
import dev.writ.core.log.NoteVerifier;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Objects;
import java.util.function.Function;

/**
 * The agent's client for Writ's authorize API: proposes an action ({@code POST /v1/authorize}) with the agent's
 * credential and returns the decision, and follows pending approvals ({@code GET /v1/approvals/{id}}). The wire
 * contract is in {@code docs/sdk.md}.
 *
 * <p>Fails closed: any transport error, timeout, unexpected status, malformed body, or an envelope that does not match
 * the action that was proposed throws {@link WritClientException}; only a well-formed 200 "allow" response becomes
 * {@link AuthorizeResult.Allowed}. With a log key configured, an allow also needs a log receipt that verifies (log
 * before execute). Thread-safe.
 *
 * <pre>{@code
 * WritClient writ = WritClient.builder()
 *         .server(URI.create("https://writ.example"))
 *         .credential(System.getenv("WRIT_AGENT_CREDENTIAL"))
 *         .build();
 * switch (writ.authorize(action, AuthorizeOptions.defaults())) {
 *     case AuthorizeResult.Allowed a -> a.envelope().attach(requestBuilder);
 *     case AuthorizeResult.Denied d -> ...;
 *     case AuthorizeResult.Pending p -> writ.awaitApproval(p.approvalId(), Duration.ofMinutes(5));
 * }
 * }</pre>
 */
public final class WritClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI server;
    private final String credential;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final Duration pollInterval;
    private final InstantSource clock;
    private final NoteVerifier logKey;
    private final Function<String, byte[]> logEntry;

    private WritClient(Builder b) {
        this.server = b.server;
        this.credential = b.credential;
        this.http = b.http != null
                ? b.http
                : HttpClient.newBuilder()
                        .connectTimeout(b.connectTimeout)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build();
        this.requestTimeout = b.requestTimeout;
        this.pollInterval = b.pollInterval;
        this.clock = b.clock;
        this.logKey = b.logKey;
        this.logEntry = b.logEntry;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Proposes {@code action}.
     *
     * @return allowed (with the envelope), denied (coarse code) or pending (approval id)
     * @throws WritClientException when no trustworthy decision was obtained; never treat it as an allow
     */
    public AuthorizeResult authorize(ActionRequest action, AuthorizeOptions options) throws WritClientException {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(options, "options");
        ObjectNode body = requestBody(action, options);
        HttpRequest request = request("/v1/authorize")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toString().getBytes(StandardCharsets.UTF_8)))
                .build();
        HttpResponse<byte[]> response = send(request);
        JsonNode json = parse(response);
        String decision = json.path("decision").asText("");
        return switch (response.statusCode()) {
            case 200 -> {
                if (!decision.equals("allow")) throw protocol("a 200 response must say allow");
                yield new AuthorizeResult.Allowed(envelope(json, action));
            }
            case 403 -> {
                if (!decision.equals("deny")) throw error(response, json);
                String code = json.path("code").asText("");
                if (!code.equals("denied") && !code.startsWith("denied.")) throw protocol("unknown denial code");
                yield new AuthorizeResult.Denied(code, textOrNull(json, "denial"));
            }
            case 202 -> {
                if (!decision.equals("pending")) throw protocol("a 202 response must say pending");
                String id = textOrNull(json, "approval_id");
                if (id == null || id.isEmpty()) throw protocol("a pending decision needs an approval_id");
                yield new AuthorizeResult.Pending(id, epochOrNull(json, "expires_at"));
            }
            default -> throw error(response, json);
        };
    }

    /**
     * The current state of an approval.
     *
     * @throws WritClientException when the state cannot be obtained
     */
    public ApprovalStatus approvalStatus(String approvalId) throws WritClientException {
        Objects.requireNonNull(approvalId, "approvalId");
        HttpRequest request = request("/v1/approvals/"
                        + URLEncoder.encode(approvalId, StandardCharsets.UTF_8).replace("+", "%20"))
                .GET()
                .build();
        HttpResponse<byte[]> response = send(request);
        JsonNode json = parse(response);
        if (response.statusCode() != 200) throw error(response, json);
        String id = textOrNull(json, "id");
        if (!approvalId.equals(id)) throw protocol("the approval status is for another id");
        return new ApprovalStatus(
                id, ApprovalStatus.State.fromWire(textOrNull(json, "status")), epochOrNull(json, "expires_at"));
    }

    /**
     * Polls until the approval is decided or {@code timeout} elapses; returns the last status (possibly still
     * pending).
     */
    public ApprovalStatus awaitApproval(String approvalId, Duration timeout)
            throws WritClientException, InterruptedException {
        Instant deadline = clock.instant().plus(timeout);
        while (true) {
            ApprovalStatus s = approvalStatus(approvalId);
            if (s.isFinal() || !clock.instant().isBefore(deadline)) {
                return s;
            }
            long left = Duration.between(clock.instant(), deadline).toMillis();
            Thread.sleep(Math.max(1, Math.min(pollInterval.toMillis(), left)));
        }
    }

    // ---- wire ------------------------------------------------------------------------------------------------

    static ObjectNode requestBody(ActionRequest action, AuthorizeOptions options) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode act = body.putObject("action");
        act.put("name", action.name());
        act.set("params", action.params());
        act.put("classification", action.classification().wireName());
        if (action.http() != null) {
            ObjectNode h = act.putObject("http");
            h.put("method", action.http().method());
            h.put("url", action.http().url());
            h.put("body", action.http().bodyDigest());
        }
        body.put("target", action.target());
        ObjectNode ctx = body.putObject("context");
        if (options.session() != null) ctx.put("session", options.session());
        ArrayNode parents = ctx.putArray("parent_chain");
        options.parentChain().forEach(parents::add);
        ctx.put("risk", options.risk());
        if (options.approvalId() != null) body.put("approval_id", options.approvalId());
        return body;
    }

    private Envelope envelope(JsonNode json, ActionRequest proposed) throws WritClientException {
        String sae = textOrNull(json, "sae");
        String jti = textOrNull(json, "jti");
        Instant exp = epochOrNull(json, "expires_at");
        if (sae == null || jti == null || exp == null) throw protocol("an allow needs sae, jti and expires_at");
        // The envelope must be for the action we proposed: never carry an authorisation for something else.
        JsonNode claims = claims(sae);
        if (!jti.equals(claims.path("jti").asText(null))
                || exp.getEpochSecond() != claims.path("exp").asLong(Long.MIN_VALUE)) {
            throw protocol("the envelope's jti or exp differs from the response");
        }
        JsonNode act = claims.path("act");
        if (!proposed.name().equals(act.path("name").asText(null))
                || !proposed.target().equals(claims.path("sub").asText(null))) {
            throw protocol("the envelope authorises another action");
        }
        HttpBinding h = proposed.http();
        if (h != null) {
            JsonNode bound = act.path("http");
            if (!h.method().equals(bound.path("method").asText(null))
                    || !h.url().equals(bound.path("url").asText(null))
                    || !h.bodyDigest().equals(bound.path("body").asText(null))) {
                throw protocol("the envelope binds another HTTP request");
            }
        }
        LogReceipt receipt = null;
        JsonNode r = json.get("receipt");
        if (r != null && !r.isNull()) {
            try {
                receipt = LogReceipt.fromJson(r);
            } catch (LogVerificationException e) {
                throw new WritClientException("sdk.receipt", "the log receipt is malformed", 200, e);
            }
        }
        if (logKey != null) {
            // Log before execute: with a log key configured, an envelope not provably logged is not used.
            if (receipt == null) throw new WritClientException("sdk.receipt", "the allow carries no log receipt");
            try {
                receipt.verify(logEntry.apply(sae), logKey);
            } catch (LogVerificationException | RuntimeException e) {
                throw new WritClientException("sdk.receipt", "the log receipt does not verify", 200, e);
            }
        }
        return new Envelope(sae, jti, exp, receipt);
    }

    private static JsonNode claims(String compact) throws WritClientException {
        String[] parts = compact.split("\\.", -1);
        if (parts.length != 3) throw protocol("the envelope is not a compact JWS");
        try {
            JsonNode n = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            if (n == null || !n.isObject()) throw protocol("the envelope payload is not an object");
            return n;
        } catch (IOException | IllegalArgumentException e) {
            throw protocol("the envelope payload is unreadable");
        }
    }

    /** The default log entry of an envelope: RFC 8785 canonical JSON {@code {"sae":"<compact>","type":"sae"}}. */
    public static byte[] defaultLogEntry(String compact) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("type", "sae");
        entry.put("sae", compact);
        return CanonicalJson.encode(entry);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(server.resolve(path))
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + credential);
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws WritClientException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new WritClientException("sdk.timeout", "the Writ server did not answer in time", 0, e);
        } catch (IOException e) {
            throw new WritClientException("sdk.unavailable", "the Writ server is unreachable", 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WritClientException("sdk.interrupted", "interrupted while waiting for the Writ server", 0, e);
        }
    }

    private static JsonNode parse(HttpResponse<byte[]> response) throws WritClientException {
        try {
            JsonNode n = JSON.readTree(response.body());
            if (n == null || !n.isObject()) {
                throw new WritClientException(
                        "sdk.protocol", "the response is not a JSON object", response.statusCode(), null);
            }
            return n;
        } catch (IOException e) {
            throw new WritClientException("sdk.protocol", "the response is not JSON", response.statusCode(), e);
        }
    }

    private static WritClientException error(HttpResponse<byte[]> response, JsonNode json) {
        JsonNode err = json.path("error");
        String code = err.path("code").asText("");
        String message = err.path("message").asText("");
        return new WritClientException(
                code.isEmpty() ? "sdk.http_" + response.statusCode() : code,
                message.isEmpty() ? "the Writ server answered " + response.statusCode() : message,
                response.statusCode(),
                null);
    }

    private static WritClientException protocol(String message) {
        return new WritClientException("sdk.protocol", message);
    }

    private static String textOrNull(JsonNode json, String field) {
        JsonNode n = json.get(field);
        return n != null && n.isTextual() ? n.textValue() : null;
    }

    private static Instant epochOrNull(JsonNode json, String field) {
        JsonNode n = json.get(field);
        return n != null && n.isIntegralNumber() && n.canConvertToLong() ? Instant.ofEpochSecond(n.longValue()) : null;
    }

    @Override
    public String toString() {
        return "WritClient[" + server + "]"; // never the credential
    }

    /** Client settings. Required: server and credential. */
    public static final class Builder {
        private URI server;
        private String credential;
        private HttpClient http;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration pollInterval = Duration.ofSeconds(1);
        private InstantSource clock = InstantSource.system();
        private NoteVerifier logKey;
        private Function<String, byte[]> logEntry = WritClient::defaultLogEntry;

        private Builder() {}

        /** The Writ server's base URL. */
        public Builder server(URI server) {
            Objects.requireNonNull(server, "server");
            if (!"https".equals(server.getScheme()) && !"http".equals(server.getScheme())) {
                throw new IllegalArgumentException("server must be an http or https URL");
            }
            String s = server.toString();
            this.server = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
            return this;
        }

        /** The agent's credential (sent as a bearer token; never logged). */
        public Builder credential(String credential) {
            Objects.requireNonNull(credential, "credential");
            if (credential.isBlank() || credential.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                throw new IllegalArgumentException("credential must be non-empty printable ASCII without spaces");
            }
            this.credential = credential;
            return this;
        }

        /** Use this HTTP client (for TLS settings, proxies, executors). */
        public Builder httpClient(HttpClient http) {
            this.http = Objects.requireNonNull(http, "http");
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connect timeout");
            return this;
        }

        /** How long one call may take before it fails closed with {@code sdk.timeout} (default 10 s). */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = positive(d, "request timeout");
            return this;
        }

        /** How often {@link #awaitApproval} polls (default 1 s). */
        public Builder pollInterval(Duration d) {
            this.pollInterval = positive(d, "poll interval");
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Require and verify a log receipt with every allow, against this log key (log before execute). */
        public Builder logKey(NoteVerifier logKey) {
            this.logKey = Objects.requireNonNull(logKey, "logKey");
            return this;
        }

        /** How an envelope's log entry bytes are formed (default {@link #defaultLogEntry}). */
        public Builder logEntry(Function<String, byte[]> encoder) {
            this.logEntry = Objects.requireNonNull(encoder, "encoder");
            return this;
        }

        public WritClient build() {
            if (server == null) throw new IllegalStateException("a server URL is required");
            if (credential == null) throw new IllegalStateException("an agent credential is required");
            return new WritClient(this);
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive");
            return d;
        }
    }
}
