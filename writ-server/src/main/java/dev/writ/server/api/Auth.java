package dev.writ.server.api;

import dev.writ.server.ca.AgentService;
import dev.writ.server.ca.AuthenticatedAgent;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.Tokens;
import dev.writ.server.store.OperatorToken;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Bearer authentication. Two kinds of bearer, told apart by prefix before any lookup: operator tokens
 * ({@code writ_op_…}, bound to a role: {@code admin}, {@code operator}, {@code approver}, {@code auditor}) and agent
 * credentials ({@code writ_agent_…}). A missing, malformed or unknown bearer is 401; a bearer of the wrong kind or an
 * operator without one of the required roles is 403. {@code admin} passes every operator role check.
 */
public final class Auth {
    /** An authenticated operator. */
    public record Operator(String tokenId, String role, String label) {}

    private final Store store;
    private final AgentService agents;

    public Auth(Store store, AgentService agents) {
        this.store = store;
        this.agents = agents;
    }

    /** The bearer token of a request, or null. */
    public static String bearer(Request request) {
        String h = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String t = h.substring(7).trim();
        return t.isEmpty() ? null : t;
    }

    /**
     * Requires an operator token with one of {@code roles} (admin always qualifies).
     *
     * @throws ApiException 401 {@code auth.missing}/{@code auth.invalid}; 403 {@code auth.agent_forbidden} for an
     *     agent credential, {@code auth.role} for a role not in {@code roles}
     */
    public Operator operator(Request request, Set<String> roles) throws ApiException {
        String token = bearer(request);
        if (token == null) {
            throw ApiException.unauthorized("auth.missing", "missing bearer token");
        }
        if (token.startsWith(Tokens.AGENT_PREFIX)) {
            // Agents never reach the control plane, even with a valid credential.
            if (agentFor(token).isEmpty()) {
                throw ApiException.unauthorized("auth.invalid", "invalid bearer token");
            }
            throw ApiException.forbidden("auth.agent_forbidden", "agent credentials cannot call operator endpoints");
        }
        Operator op =
                operatorFor(token).orElseThrow(() -> ApiException.unauthorized("auth.invalid", "invalid bearer token"));
        if (!op.role().equals("admin") && !roles.contains(op.role())) {
            throw ApiException.forbidden("auth.role", "this operation needs role " + String.join(" or ", roles));
        }
        return op;
    }

    /**
     * Requires an agent credential of an active agent with a good certificate.
     *
     * @throws ApiException 401 {@code auth.missing}/{@code auth.invalid}; 403 {@code auth.operator_forbidden} for an
     *     operator token
     */
    public AuthenticatedAgent agent(Request request) throws ApiException {
        String token = bearer(request);
        if (token == null) {
            throw ApiException.unauthorized("auth.missing", "missing bearer token");
        }
        if (token.startsWith(Tokens.OPERATOR_PREFIX)) {
            if (operatorFor(token).isEmpty()) {
                throw ApiException.unauthorized("auth.invalid", "invalid bearer token");
            }
            // An operator never acts as an agent: signatures must trace back to an agent credential.
            throw ApiException.forbidden("auth.operator_forbidden", "operator tokens cannot act as an agent");
        }
        return agentFor(token).orElseThrow(() -> ApiException.unauthorized("auth.invalid", "invalid bearer token"));
    }

    /** Either kind: the agent when an agent credential is given, else the operator (with one of {@code roles}). */
    public Object agentOrOperator(Request request, Set<String> roles) throws ApiException {
        String token = bearer(request);
        if (token != null && token.startsWith(Tokens.AGENT_PREFIX)) {
            return agent(request);
        }
        return operator(request, roles);
    }

    private Optional<AuthenticatedAgent> agentFor(String token) throws ApiException {
        try {
            return agents.authenticate(token);
        } catch (CaException e) {
            throw Exchange.from(e);
        }
    }

    private Optional<Operator> operatorFor(String token) throws ApiException {
        if (!token.startsWith(Tokens.OPERATOR_PREFIX)) {
            return Optional.empty();
        }
        String hash = Tokens.hash(token);
        try {
            Optional<OperatorToken> t =
                    store.inTransaction(tx -> tx.operatorTokens().findActive(hash));
            return t.map(x -> new Operator(x.id(), x.role(), x.label()));
        } catch (StoreException e) {
            throw new ApiException(500, "internal", "internal error");
        }
    }
}
