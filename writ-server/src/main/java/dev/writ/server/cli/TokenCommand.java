package dev.writ.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.ca.Tokens;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.store.SqliteStore;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code writ token create}: creates an operator token on the data directory. */
@Command(name = "token", description = "Operator tokens.", subcommands = TokenCommand.Create.class)
public final class TokenCommand implements Runnable {
    @Override
    public void run() {
        throw CliError.usage("usage: writ token create --role ROLE");
    }

    @Command(name = "create", description = "Create an operator token (printed once, stored only hashed).")
    public static final class Create implements Callable<Integer> {
        @Mixin
        GlobalOptions global;

        @Option(names = "--role", required = true, description = "admin, operator, approver or auditor.")
        String role;

        @Option(names = "--label", description = "A note on who or what holds the token.")
        String label;

        @Override
        public Integer call() throws Exception {
            if (!Tokens.ROLES.contains(role)) {
                throw CliError.usage("--role must be one of admin, operator, approver, auditor");
            }
            if (!TrustDomain.exists(global.dataDir())) {
                throw CliError.usage("no trust domain in " + global.dataDir() + " (run writ init)");
            }
            SecureRandom random = new SecureRandom();
            String token = Tokens.newOperatorToken(random);
            String id = Tokens.newId(random);
            try (SqliteStore store = SqliteStore.open(global.dataDir().resolve("writ.db"))) {
                store.inTransaction(tx -> {
                    tx.operatorTokens().insert(id, Tokens.hash(token), role, label, Instant.now());
                    return null;
                });
            }
            if (global.json()) {
                ObjectMapper m = new ObjectMapper();
                System.out.println(m.writeValueAsString(
                        m.createObjectNode().put("id", id).put("role", role).put("token", token)));
            } else {
                System.out.println("Token " + id + " (role " + role + "), shown once:");
                System.out.println(token);
            }
            return ExitCodes.OK;
        }
    }
}
