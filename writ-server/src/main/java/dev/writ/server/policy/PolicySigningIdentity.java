package dev.writ.server.policy;

import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The policy-signing identity of a trust domain: a key held in custody and its certificate chain. The trust domain
 * supplies it; the policy code only asks custody for signatures and never sees the private key.
 */
public interface PolicySigningIdentity {
    /** The custody holding the policy-signing key. */
    KeyCustody custody();

    /** The handle of the policy-signing key. */
    KeyHandle handle();

    /**
     * The policy-signing certificate first, then its issuer(s) up to (and optionally including) the policy-signing CA
     * certificate. The first certificate's public key is the key behind {@link #handle()}.
     */
    List<X509Certificate> chain();

    /** A plain holder. */
    static PolicySigningIdentity of(KeyCustody custody, KeyHandle handle, List<X509Certificate> chain) {
        List<X509Certificate> copy = List.copyOf(chain);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("the chain needs at least the signing certificate");
        }
        return new PolicySigningIdentity() {
            @Override
            public KeyCustody custody() {
                return custody;
            }

            @Override
            public KeyHandle handle() {
                return handle;
            }

            @Override
            public List<X509Certificate> chain() {
                return copy;
            }
        };
    }
}
