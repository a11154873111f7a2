package dev.writ.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.forensic.ForensicException;
import dev.writ.server.forensic.ForensicHandler;
import dev.writ.server.forensic.ForensicService;
import dev.writ.server.forensic.Forensics;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code writ forensic JTI [--bundle FILE] [--json]}: the chain of custody of an envelope or denial, rebuilt from the
 * audit log through {@code ctx.parent_chain}, each node verified (signature, chain and OCSP staple as of its issue
 * time, approval binding, parent links, inclusion under the latest checkpoint, the evaluated policy version), printed
 * as a tree. With {@code --bundle} the evidence bundle is written too. Works on a data directory ({@code --data},
 * read-only, as of the log's last flushed checkpoint) or on a running server ({@code --server} with an auditor token:
 * {@code --token} or {@code $WRIT_TOKEN}).
 *
 * <p>Exit codes: 0 every check of every node passed; 1 a check failed (a broken parent link, a bad signature, ...) or the
 * server refused; 2 usage or input error, including an unknown {@code jti}.
 */
@Command(
        name = "forensic",
        mixinStandardHelpOptions = true,
        description = "Rebuild and verify the chain of custody of an envelope or denial; export an evidence bundle.")
public final class ForensicCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    GlobalOptions global;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "JTI", description = "The jti of an envelope or a (released) denial.")
    String jti;

    @Option(names = "--bundle", paramLabel = "FILE", description = "Also write the evidence bundle (ZIP) to FILE.")
    Path bundle;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Auditor token for --server (default: $WRIT_TOKEN).")
    String token;

    @Override
    public void run() {
        JsonNode report;
        byte[] zip;
        if (global.serverUrl() != null) {
            report = remoteJson();
            zip = bundle != null ? remoteBundle() : null;
        } else {
            Path data = global.dataDir();
            if (!Files.isRegularFile(data.resolve("domain.json"))) {
                throw CliError.usage("no trust domain in " + data + " (use --data DIR or --server URL)");
            }
            try (Forensics f = Forensics.open(data)) {
                ForensicService.Investigation inv = f.service().investigate(jti);
                report = inv.toJson();
                zip = inv.bundle();
            } catch (ForensicException e) {
                throw new CliError(
                        e.status() < 500 ? ExitCodes.USAGE : ExitCodes.FALSE, e.getMessage() + " (" + e.code() + ")");
            } catch (IOException e) {
                throw new CliError(ExitCodes.FALSE, "cannot close the log: " + e.getMessage());
            }
        }
        if (bundle != null) {
            try {
                Files.write(bundle, zip);
            } catch (IOException e) {
                throw CliError.usage("cannot write " + bundle + ": " + e.getMessage());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(global.json() ? report.toPrettyString() : render(report));
        if (bundle != null && !global.json()) {
            out.println("evidence bundle written to " + bundle);
        }
        out.flush();
        if (!report.path("ok").asBoolean()) {
            throw new CliError(
                    ExitCodes.FALSE, "the chain of custody of " + jti + " does not verify: " + firstFailure(report));
        }
    }

    private String tokenValue() {
        String t = token != null ? token : System.getenv("WRIT_TOKEN");
        if (t == null || t.isBlank()) {
            throw CliError.usage("no token: pass --token or set WRIT_TOKEN (role auditor)");
        }
        return t;
    }

    private JsonNode remoteJson() {
        return new ApiClient(global.serverUrl(), tokenValue())
                .call("GET", ForensicHandler.PATH + "/" + jtiPath(), null);
    }

    private byte[] remoteBundle() {
        String base = global.serverUrl().replaceAll("/+$", "");
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try {
            HttpResponse<byte[]> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + ForensicHandler.PATH + "/" + jtiPath() + "/bundle"))
                            .timeout(Duration.ofSeconds(60))
                            .header("Authorization", "Bearer " + tokenValue())
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new CliError(
                        r.statusCode() >= 500 || r.statusCode() == 401 || r.statusCode() == 403
                                ? ExitCodes.FALSE
                                : ExitCodes.USAGE,
                        "the server refused the bundle (HTTP " + r.statusCode() + ")");
            }
            return r.body();
        } catch (IOException e) {
            throw new CliError(
                    ExitCodes.FALSE,
                    "cannot reach " + base + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliError(ExitCodes.FALSE, "interrupted");
        } catch (IllegalArgumentException e) {
            throw CliError.usage("bad server URL " + base);
        }
    }

    private String jtiPath() {
        if (jti == null || !jti.matches("[A-Za-z0-9_-]{22,128}")) {
            throw CliError.usage("malformed jti: 22 to 128 base64url characters");
        }
        return jti;
    }

    static String firstFailure(JsonNode report) {
        for (JsonNode n : report.path("nodes")) {
            for (JsonNode c : n.path("checks")) {
                if ("failed".equals(c.path("status").asText())) {
                    return c.path("code").asText() + ": " + c.path("message").asText();
                }
            }
        }
        return "unknown failure";
    }

    /** The report as a tree: the subject, its parents below it, then the related denials. */
    static String render(JsonNode r) {
        StringBuilder sb = new StringBuilder();
        Map<String, JsonNode> nodes = new HashMap<>();
        r.path("nodes").forEach(n -> nodes.put(n.path("jti").asText(), n));
        sb.append("Chain of custody of ")
                .append(r.path("subject").asText())
                .append(" (trust domain ")
                .append(r.path("trust_domain").asText())
                .append(", checkpoint ")
                .append(r.path("checkpoint").path("origin").asText())
                .append(" size ")
                .append(r.path("checkpoint").path("size").asLong())
                .append(")\n");
        tree(sb, r.path("tree"), nodes, "", "", new HashSet<>());
        if (!r.path("related_denials").isEmpty()) {
            sb.append("Denials in the same session:\n");
            for (JsonNode j : r.path("related_denials")) {
                tree(sb, JSON.createObjectNode().put("jti", j.asText()), nodes, "", "", new HashSet<>());
            }
        }
        sb.append(r.path("ok").asBoolean() ? "✓ every check passed" : "✗ " + firstFailure(r));
        return sb.toString();
    }

    private static void tree(
            StringBuilder sb, JsonNode t, Map<String, JsonNode> nodes, String first, String rest, Set<String> seen) {
        if (t.path("missing").asBoolean()) {
            sb.append(first)
                    .append("✗ missing parent ")
                    .append(t.path("hash").asText())
                    .append(" (not in the log)\n");
            return;
        }
        JsonNode n = nodes.get(t.path("jti").asText());
        if (n == null || !seen.add(n.path("jti").asText())) {
            return;
        }
        sb.append(first)
                .append(n.path("ok").asBoolean() ? "✓ " : "✗ ")
                .append(n.path("kind").asText())
                .append(' ')
                .append(n.path("jti").asText())
                .append("  ")
                .append(n.path("action").asText())
                .append("  by ")
                .append(n.path("agent").asText())
                .append("  at ")
                .append(n.path("issued_at").asText())
                .append("  log #")
                .append(n.path("log_index").asLong())
                .append('\n');
        JsonNode pol = n.path("policy");
        sb.append(rest).append("    policy ");
        if (pol.has("name")) {
            sb.append(pol.path("name").asText())
                    .append(' ')
                    .append(pol.path("label").asText());
            if (pol.has("version")) {
                sb.append(" (version ").append(pol.path("version").asLong()).append(')');
            }
            sb.append(' ');
        }
        sb.append(pol.path("hash").asText()).append('\n');
        if (n.has("approval")) {
            sb.append(rest)
                    .append("    approval ")
                    .append(n.path("approval").asText())
                    .append('\n');
        }
        if (n.has("reasons")) {
            sb.append(rest)
                    .append("    reasons ")
                    .append(n.path("reasons").toString())
                    .append('\n');
        }
        sb.append(rest).append("    checks");
        for (JsonNode c : n.path("checks")) {
            String st = c.path("status").asText();
            sb.append("  ")
                    .append(c.path("check").asText())
                    .append(st.equals("ok") ? " ✓" : st.equals("failed") ? " ✗" : " -");
        }
        sb.append('\n');
        for (JsonNode c : n.path("checks")) {
            if ("failed".equals(c.path("status").asText())) {
                sb.append(rest)
                        .append("    ✗ ")
                        .append(c.path("code").asText())
                        .append(": ")
                        .append(c.path("message").asText())
                        .append('\n');
            }
        }
        JsonNode parents = t.path("parents");
        for (int i = 0; i < parents.size(); i++) {
            boolean last = i == parents.size() - 1;
            tree(sb, parents.get(i), nodes, rest + (last ? "  └─ " : "  ├─ "), rest + (last ? "     " : "  │  "), seen);
        }
    }
}
