package dev.writ.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code writ agent create|list|show|rotate|revoke|delegate}: talk to a running server ({@code --server}, token from
 * {@code --token} or {@code $WRIT_TOKEN}). These commands need the server: issuance uses the online CA keys and the
 * revocation fan-out of the running process.
 */
@Command(
        name = "agent",
        description = "Manage agents on a running server.",
        subcommands = {
            AgentCommand.Create.class,
            AgentCommand.ListAgents.class,
            AgentCommand.Show.class,
            AgentCommand.Rotate.class,
            AgentCommand.Revoke.class,
            AgentCommand.Delegate.class
        })
public final class AgentCommand implements Runnable {
    @Override
    public void run() {
        throw CliError.usage("usage: writ agent create|list|show|rotate|revoke|delegate");
    }

    /** Options shared by the agent commands. */
    static class Base {
        @Mixin
        GlobalOptions global;

        @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token (default: $WRIT_TOKEN).")
        String token;

        ApiClient client() {
            String t = token != null ? token : System.getenv("WRIT_TOKEN");
            return new ApiClient(global.serverUrl(), t);
        }

        void print(JsonNode n, String human) {
            System.out.println(global.json() ? n.toString() : human);
        }
    }

    static JsonNode scopeArg(String scope) {
        if (scope == null) {
            throw CliError.usage("--scope is required (JSON, or @file)");
        }
        String text = scope;
        if (scope.startsWith("@")) {
            try {
                text = Files.readString(Path.of(scope.substring(1)), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw CliError.usage("cannot read " + scope.substring(1));
            }
        }
        try {
            return ApiClient.JSON.readTree(text);
        } catch (IOException e) {
            throw CliError.usage("--scope is not valid JSON");
        }
    }

    static String issuedHuman(JsonNode n) {
        StringBuilder sb = new StringBuilder();
        sb.append("agent ").append(n.path("agent_id").asText()).append('\n');
        sb.append("  spiffe id: ").append(n.path("spiffe_id").asText()).append('\n');
        sb.append("  serial:    ").append(n.path("serial").asText()).append('\n');
        sb.append("  valid:     ")
                .append(n.path("not_before").asText())
                .append(" .. ")
                .append(n.path("not_after").asText())
                .append('\n');
        if (n.has("credential")) {
            sb.append("  credential (shown once): ")
                    .append(n.path("credential").asText())
                    .append('\n');
        }
        sb.append(n.path("chain").asText());
        return sb.toString().stripTrailing();
    }

    @Command(name = "create", description = "Register an agent: certificate, chain and a one-time credential.")
    static final class Create extends Base implements Callable<Integer> {
        @Option(names = "--tenant", required = true)
        String tenant;

        @Option(names = "--name", required = true)
        String name;

        @Option(names = "--scope", required = true, description = "Scope JSON, or @file.")
        String scope;

        @Option(names = "--model", description = "Model JSON {digest,name,version,sbom}, or @file.")
        String model;

        @Option(names = "--validity", paramLabel = "SECONDS", description = "Certificate lifetime in seconds.")
        Long validity;

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            body.put("tenant", tenant);
            body.put("name", name);
            body.set("scope", scopeArg(scope));
            if (model != null) {
                body.set("model", scopeArg(model));
            }
            if (validity != null) {
                body.put("validity_seconds", validity);
            }
            JsonNode n = client().call("POST", "/api/v1/agents", body);
            print(n, issuedHuman(n));
            return ExitCodes.OK;
        }
    }

    @Command(name = "delegate", description = "Create a sub-agent (authenticates with the parent's agent credential).")
    static final class Delegate extends Base implements Callable<Integer> {
        @Option(names = "--parent", required = true, description = "Parent agent id.")
        String parent;

        @Option(names = "--name", required = true)
        String name;

        @Option(names = "--scope", required = true, description = "Requested scope JSON, or @file.")
        String scope;

        @Option(names = "--validity", paramLabel = "SECONDS")
        Long validity;

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            body.put("name", name);
            body.set("scope", scopeArg(scope));
            if (validity != null) {
                body.put("validity_seconds", validity);
            }
            JsonNode n = client().call("POST", "/api/v1/agents/" + enc(parent) + "/subagents", body);
            print(n, issuedHuman(n));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", description = "List agents.")
    static final class ListAgents extends Base implements Callable<Integer> {
        @Option(names = "--tenant")
        String tenant;

        @Override
        public Integer call() {
            JsonNode n =
                    client().call("GET", "/api/v1/agents" + (tenant == null ? "" : "?tenant=" + enc(tenant)), null);
            StringBuilder sb = new StringBuilder();
            for (JsonNode a : n.path("agents")) {
                sb.append(String.format(
                        "%-36s  %-8s  %-12s  %s%n",
                        a.path("agent_id").asText(),
                        a.path("status").asText(),
                        a.path("tenant").asText(),
                        a.path("name").asText()));
            }
            print(n, sb.toString().stripTrailing());
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "Show an agent.")
    static final class Show extends Base implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "AGENT_ID")
        String id;

        @Override
        public Integer call() throws IOException {
            JsonNode n = client().call("GET", "/api/v1/agents/" + enc(id), null);
            print(n, ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
            return ExitCodes.OK;
        }
    }

    @Command(name = "rotate", description = "New key and certificate; the old certificate is revoked (superseded).")
    static final class Rotate extends Base implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "AGENT_ID")
        String id;

        @Override
        public Integer call() {
            JsonNode n =
                    client().call("POST", "/api/v1/agents/" + enc(id) + "/rotate", ApiClient.JSON.createObjectNode());
            print(n, issuedHuman(n));
            return ExitCodes.OK;
        }
    }

    @Command(name = "revoke", description = "Revoke a certificate (cascades to sub-agents).")
    static final class Revoke extends Base implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "SERIAL", description = "Certificate serial (hex).")
        String serial;

        @Option(names = "--reason", description = "keyCompromise, superseded, cessationOfOperation, ...")
        String reason;

        @Override
        public Integer call() {
            JsonNode n = client().call(
                            "DELETE",
                            "/api/v1/certificates/" + enc(serial) + (reason == null ? "" : "?reason=" + enc(reason)),
                            null);
            print(
                    n,
                    "revoked " + n.path("serial").asText()
                            + (n.path("cascaded").isEmpty() ? "" : ", cascaded to " + n.path("cascaded")));
            return ExitCodes.OK;
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
