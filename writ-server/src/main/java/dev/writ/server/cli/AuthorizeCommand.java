package dev.writ.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code writ authorize}: proposes an action to a running server with an agent credential ({@code POST
 * /v1/authorize}) and prints the decision.
 *
 * <p>The request is either a whole wire body ({@code --request FILE}, {@code -} for stdin) or built from options
 * ({@code --action}, {@code --target}, {@code --param k=v}, …). The credential comes from {@code --credential-file}
 * or {@code $WRIT_AGENT_CREDENTIAL} (never from the command line, where other users could read it).
 *
 * <p>Exit codes: 0 allowed (the SAE is printed); 1 denied, or pending approval (the approval id is printed; with
 * {@code --wait} the command polls the approval and, once approved, authorises again with it); 2 an error (usage, bad
 * request, bad credential, server unreachable or unavailable).
 */
@Command(
        name = "authorize",
        mixinStandardHelpOptions = true,
        description = "Propose an action with an agent credential; print the SAE, the denial or the pending approval.")
public final class AuthorizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    GlobalOptions global;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--credential-file",
            paramLabel = "FILE",
            description = "File with the agent credential (default: $WRIT_AGENT_CREDENTIAL).")
    Path credentialFile;

    @Option(names = "--request", paramLabel = "FILE", description = "Whole request body (JSON); - reads stdin.")
    String requestFile;

    @Option(names = "--action", paramLabel = "NAME", description = "Action name, e.g. payments.transfer.")
    String action;

    @Option(names = "--target", paramLabel = "TARGET", description = "Target API endpoint or service.")
    String target;

    @Option(
            names = "--param",
            paramLabel = "KEY=VALUE",
            description = "An action parameter (repeatable); integers stay integers (amounts in minor units).")
    List<String> params = new ArrayList<>();

    @Option(
            names = "--classification",
            defaultValue = "internal",
            description = "Data classification (default: ${DEFAULT-VALUE}).")
    String classification;

    @Option(names = "--http-method", paramLabel = "METHOD", description = "Bind to this HTTP method.")
    String httpMethod;

    @Option(names = "--http-url", paramLabel = "URL", description = "Bind to this request URL.")
    String httpUrl;

    @Option(names = "--http-body-file", paramLabel = "FILE", description = "Bind to these exact body bytes.")
    Path httpBody;

    @Option(names = "--session", paramLabel = "ID", description = "Session id.")
    String session;

    @Option(names = "--parent", paramLabel = "SHA256", description = "Parent envelope hash (repeatable).")
    List<String> parents = new ArrayList<>();

    @Option(names = "--risk", paramLabel = "0-100", description = "Risk score.")
    Integer risk;

    @Option(names = "--approval-id", paramLabel = "ID", description = "Redeem this approval.")
    String approvalId;

    @Option(names = "--wait", description = "When pending, wait for the approval and authorise again once approved.")
    boolean waitForApproval;

    @Option(
            names = "--wait-timeout",
            paramLabel = "SECONDS",
            defaultValue = "3600",
            description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    long waitTimeout;

    @Option(
            names = "--poll-interval",
            paramLabel = "MILLIS",
            defaultValue = "2000",
            description = "How often --wait polls (default: ${DEFAULT-VALUE}).")
    long pollInterval;

    private record Reply(int status, JsonNode body) {}

    @Override
    public Integer call() {
        try {
            return run();
        } catch (CliError e) {
            // Every failure to get a decision is exit 2 here: 1 is reserved for "denied" and "pending".
            throw new CliError(ExitCodes.USAGE, e.getMessage());
        }
    }

    private int run() {
        String server = global.serverUrl();
        if (server == null) {
            throw CliError.usage("no server: pass --server URL or set WRIT_SERVER");
        }
        String base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        String credential = credential();
        ObjectNode body = body();
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        Reply r = send(http, "POST", base + "/v1/authorize", credential, body);
        if (r.status() == 202 && waitForApproval) {
            String id = r.body().path("approval_id").asText();
            err().printf("pending approval %s; waiting%n", id);
            err().flush();
            Instant deadline = Instant.now().plusSeconds(waitTimeout);
            while (true) {
                sleep();
                Reply poll = send(http, "GET", base + "/v1/approvals/" + id, credential, null);
                if (poll.status() != 200) {
                    return error(poll);
                }
                String status = poll.body().path("status").asText();
                if (status.equals("approved")) {
                    body.put("approval_id", id);
                    r = send(http, "POST", base + "/v1/authorize", credential, body);
                    break;
                }
                if (!status.equals("pending")) {
                    out().printf("approval %s %s%n", id, status);
                    out().flush();
                    return ExitCodes.FALSE;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw CliError.usage("gave up waiting for approval " + id);
                }
            }
        }
        return print(r);
    }

    private int print(Reply r) {
        JsonNode b = r.body();
        String decision = b.path("decision").asText("");
        int exit;
        String human;
        if (r.status() == 200 && decision.equals("allow")) {
            exit = ExitCodes.OK;
            human = "allow jti=" + b.path("jti").asText() + " expires_at="
                    + b.path("expires_at").asLong() + " log_index="
                    + b.path("receipt").path("index").asLong() + "\n"
                    + b.path("sae").asText();
        } else if (r.status() == 403 && decision.equals("deny")) {
            exit = ExitCodes.FALSE;
            human = "deny " + b.path("code").asText();
        } else if (r.status() == 202 && decision.equals("pending")) {
            exit = ExitCodes.FALSE;
            human = "pending approval " + b.path("approval_id").asText() + " expires_at="
                    + b.path("expires_at").asLong() + " (ask an approver: writ approvals approve "
                    + b.path("approval_id").asText() + ")";
        } else {
            return error(r);
        }
        out().println(global.json() ? b.toString() : human);
        out().flush();
        return exit;
    }

    private int error(Reply r) {
        JsonNode err = r.body().path("error");
        String msg = err.isMissingNode()
                ? "unexpected answer (HTTP " + r.status() + ")"
                : err.path("message").asText() + " (" + err.path("code").asText() + ")";
        if (global.json()) {
            out().println(r.body().toString());
            out().flush();
        }
        throw new CliError(ExitCodes.USAGE, msg);
    }

    private String credential() {
        String c;
        if (credentialFile != null) {
            try {
                c = Files.readString(credentialFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw CliError.usage("cannot read " + credentialFile);
            }
        } else {
            c = System.getenv("WRIT_AGENT_CREDENTIAL");
        }
        if (c == null || c.isBlank()) {
            throw CliError.usage("no agent credential: pass --credential-file or set WRIT_AGENT_CREDENTIAL");
        }
        return c.strip();
    }

    private ObjectNode body() {
        if (requestFile != null) {
            if (action != null || target != null || !params.isEmpty()) {
                throw CliError.usage("--request excludes --action, --target and --param");
            }
            try {
                byte[] b =
                        requestFile.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(requestFile));
                JsonNode n = JSON.readTree(b);
                if (n == null || !n.isObject()) {
                    throw CliError.usage("--request must hold a JSON object");
                }
                ObjectNode o = (ObjectNode) n;
                if (approvalId != null) {
                    o.put("approval_id", approvalId);
                }
                return o;
            } catch (IOException e) {
                throw CliError.usage("cannot read the request " + requestFile);
            }
        }
        if (action == null || target == null) {
            throw CliError.usage("--action and --target are required (or --request FILE)");
        }
        ObjectNode o = JSON.createObjectNode();
        ObjectNode act = o.putObject("action");
        act.put("name", action);
        ObjectNode p = act.putObject("params");
        for (String kv : params) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw CliError.usage("--param must be KEY=VALUE");
            }
            String k = kv.substring(0, eq);
            String v = kv.substring(eq + 1);
            if (v.matches("-?[0-9]{1,18}")) {
                p.put(k, Long.parseLong(v));
            } else {
                p.put(k, v);
            }
        }
        act.put("classification", classification);
        if (httpMethod != null || httpUrl != null || httpBody != null) {
            if (httpMethod == null || httpUrl == null) {
                throw CliError.usage("--http-method and --http-url go together");
            }
            byte[] bytes = new byte[0];
            if (httpBody != null) {
                try {
                    bytes = Files.readAllBytes(httpBody);
                } catch (IOException e) {
                    throw CliError.usage("cannot read " + httpBody);
                }
            }
            ObjectNode h = act.putObject("http");
            h.put("method", httpMethod);
            h.put("url", httpUrl);
            h.put("body", HttpBinding.digestBody(bytes));
        }
        o.put("target", target);
        ObjectNode ctx = o.putObject("context");
        ctx.put("session", session == null ? "" : session);
        var pc = ctx.putArray("parent_chain");
        parents.forEach(pc::add);
        ctx.put("risk", risk == null ? 0 : risk);
        if (approvalId != null) {
            o.put("approval_id", approvalId);
        }
        return o;
    }

    private Reply send(HttpClient http, String method, String url, String credential, JsonNode body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + credential)
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
            throw CliError.usage("cannot reach " + url + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.usage("interrupted");
        } catch (IllegalArgumentException e) {
            throw CliError.usage("bad server URL");
        }
        try {
            JsonNode n = JSON.readTree(r.body());
            return new Reply(r.statusCode(), n == null ? JSON.createObjectNode() : n);
        } catch (IOException e) {
            throw CliError.usage("the server sent no JSON (HTTP " + r.statusCode() + ")");
        }
    }

    private void sleep() {
        try {
            Thread.sleep(Math.max(50, pollInterval));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.usage("interrupted");
        }
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
