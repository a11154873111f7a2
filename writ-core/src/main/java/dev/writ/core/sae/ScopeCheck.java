package dev.writ.core.sae;

import dev.writ.core.action.ActionRequest;
import dev.writ.core.scope.Scope;
import dev.writ.core.scope.ScopeException;
import dev.writ.core.scope.ScopeViolation;
import java.time.Instant;

/** Compiles a certificate's scope extension once (per cached chain) into a check run per envelope. */
@FunctionalInterface
interface ScopeCheck {

    /** A compiled scope. */
    @FunctionalInterface
    interface Compiled {
        void check(ActionRequest action, Instant at) throws ScopeViolation;
    }

    Compiled compile(byte[] scopeExtensionDer) throws ScopeException;

    /** The real thing: {@link Scope#fromDer} and {@link Scope#check}. */
    ScopeCheck DEFAULT = der -> {
        Scope scope = Scope.fromDer(der);
        return scope::check;
    };
}
