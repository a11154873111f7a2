package dev.writ.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code writ approvals list|show|approve|deny}: human approval of pending authorisations on a running server
 * ({@code --server}), with an operator token of role {@code approver} or {@code admin} ({@code --token} or
 * {@code $WRIT_TOKEN}).
 *
 * <p>Exit codes: 0 success; 1 refused (bad token, wrong role: 401/403) or the server failed (5xx); 2 usage or input
 * error, including an approval that is unknown (404), no longer pending or expired (409).
 */
@Command(
        name = "approvals",
        mixinStandardHelpOptions = true,
        description = "Human approvals: list pending requests, approve or deny them.",
        subcommands = {
            ApprovalsCommand.List.class,
            ApprovalsCommand.Show.class,
            ApprovalsCommand.Approve.class,
            ApprovalsCommand.Deny.class
        })
public final class ApprovalsCommand implements Runnable {
    @Override
    public void run() {
        throw CliError.usage("usage: writ approvals list|show|approve|deny");
    }

    /** Options shared by the approval commands. */
    abstract static class Base {
        @Mixin
        GlobalOptions global;

        @Spec
        CommandSpec spec;

        @Option(names = "--token", paramLabel = "TOKEN", description = "Operator token (default: $WRIT_TOKEN).")
        String token;

        ApiClient client() {
            String t = token != null ? token : System.getenv("WRIT_TOKEN");
            return new ApiClient(global.serverUrl(), t);
        }

        void print(JsonNode n, String human) {
            PrintWriter out = spec.commandLine().getOut();
            out.println(global.json() ? n.toString() : human);
            out.flush();
        }

        static String id(String id) {
            if (id == null || !id.matches("[A-Za-z0-9_-]{1,64}")) {
                throw CliError.usage("malformed approval id");
            }
            return id;
        }
    }

    static String line(JsonNode a) {
        JsonNode act = a.path("request").path("action");
        StringBuilder sb = new StringBuilder();
        sb.append(a.path("id").asText())
                .append("  ")
                .append(a.path("status").asText())
                .append("  ")
                .append(act.path("name").asText())
                .append(' ')
                .append(act.path("params").toString())
                .append(" -> ")
                .append(a.path("request").path("target").asText())
                .append("  agent ")
                .append(a.path("agent_id").asText())
                .append("  policies ")
                .append(a.path("reasons").toString())
                .append("  expires ")
                .append(Instant.ofEpochSecond(a.path("expires_at").asLong()));
        return sb.toString();
    }

    @Command(name = "list", description = "List approvals (default: pending).")
    static final class List extends Base implements Runnable {
        @Option(
                names = "--status",
                defaultValue = "pending",
                description = "pending, approved, denied, expired or all (default: ${DEFAULT-VALUE}).")
        String status;

        @Override
        public void run() {
            JsonNode n = client().call(
                            "GET",
                            "/api/v1/approvals?status=" + URLEncoder.encode(status, StandardCharsets.UTF_8),
                            null);
            StringBuilder sb = new StringBuilder();
            for (JsonNode a : n.path("approvals")) {
                sb.append(line(a)).append('\n');
            }
            if (sb.isEmpty()) {
                sb.append("no ").append(status).append(" approvals\n");
            }
            print(n, sb.toString().stripTrailing());
        }
    }

    @Command(name = "show", description = "Show one approval.")
    static final class Show extends Base implements Runnable {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public void run() {
            JsonNode n = client().call("GET", "/api/v1/approvals/" + id(id), null);
            print(n, line(n));
        }
    }

    abstract static class Decide extends Base implements Runnable {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--comment", paramLabel = "TEXT", description = "Why (recorded and signed).")
        String comment;

        abstract String verb();

        @Override
        public void run() {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            if (comment != null) {
                body.put("comment", comment);
            }
            JsonNode n = client().call("POST", "/api/v1/approvals/" + id(id) + "/" + verb(), body);
            print(n, n.path("id").asText() + " " + n.path("status").asText());
        }
    }

    @Command(name = "approve", description = "Approve a pending request (single use, until it expires).")
    static final class Approve extends Decide {
        @Override
        String verb() {
            return "approve";
        }
    }

    @Command(name = "deny", description = "Deny a pending request.")
    static final class Deny extends Decide {
        @Override
        String verb() {
            return "deny";
        }
    }
}
